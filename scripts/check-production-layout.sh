#!/usr/bin/env bash
# npm run image:check — the Dockerfile's runtime stage, reproduced without Docker, and proven to work:
#   1. build (typecheck + swc to dist/), as the build stage does;
#   2. assemble the runtime layout in a temp dir: dist/ (no source maps), scripts/run-command.js,
#      package.json, package-lock.json; `npm ci --omit=dev --ignore-scripts`; typescript removed;
#   3. assert no devDependency, no TypeScript source and no TypeScript loader is left;
#   4. `npm run db:migrate` and `npm run ledger:verify` from that dir on a throwaway database;
#   5. start the API from that dir and probe /health (its Postgres and Redis checks up); load the other two apps' module graphs;
#   6. print the sizes (runtime layout vs this checkout's full install);
#   7. clean up, on success or failure: the API process, the database and its three roles, the Redis
#      keys under the queue prefix, the temp dir.
# Needs a development install (npm ci) and Postgres and Redis on loopback. Keep step 2 in step with the
# Dockerfile. Traffic goes to loopback only (the npm install reads the npm cache first, --prefer-offline).
#
# Environment: CHECK_NAME (database, role prefix and queue prefix; default cs_image_check),
# CHECK_PG_URL (superuser URL without database; default postgres://postgres@127.0.0.1:5432),
# CHECK_REDIS_URL (default redis://127.0.0.1:6379).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NAME=${CHECK_NAME:-cs_image_check}
PG_URL=${CHECK_PG_URL:-postgres://postgres@127.0.0.1:5432}
REDIS_URL=${CHECK_REDIS_URL:-redis://127.0.0.1:6379}
DATABASE_URL="${PG_URL%/}/$NAME"
WORK=
API_PID=
OWNS_DATA=0

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'image:check FAILED: %s\n' "$*" >&2; exit 1; }

[[ $NAME =~ ^[a-z][a-z0-9_]{0,40}$ ]] || fail "CHECK_NAME must match ^[a-z][a-z0-9_]{0,40}$"
[[ -x $ROOT/node_modules/.bin/swc && -x $ROOT/node_modules/.bin/tsc ]] || fail "no development install in $ROOT: run npm ci first"

# Postgres and Redis on this machine only, through the checkout's own pg and ioredis.
# usage: helper check-loopback | absent | verify-migrated | drop
helper() {
  (cd "$ROOT" && NAME="$NAME" PG_URL="$PG_URL" REDIS_URL="$REDIS_URL" node -e '
const { Client } = require("pg");
const IORedis = require("ioredis");
const { NAME, PG_URL, REDIS_URL } = process.env;
const roles = ["api", "notifier", "confirmer"].map((r) => `${NAME}_${r}`);
const loopback = (u) => ["127.0.0.1", "localhost", "[::1]", "::1"].includes(new URL(u).hostname);
const pg = async (work) => {
  const url = new URL(PG_URL); url.pathname = "/postgres";
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try { return await work(client); } finally { await client.end(); }
};
const redis = async (work) => {
  const client = new IORedis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  await client.connect();
  try { return await work(client); } finally { client.disconnect(); }
};
const redisKeys = (client, del) => new Promise((resolve, reject) => {
  let count = 0;
  const stream = client.scanStream({ match: `${NAME}:*`, count: 1000 });
  stream.on("data", async (keys) => {
    count += keys.length;
    if (del && keys.length) { stream.pause(); await client.unlink(...keys).catch(reject); stream.resume(); }
  });
  stream.on("end", () => resolve(count));
  stream.on("error", reject);
});
const commands = {
  async "check-loopback"() {
    for (const u of [PG_URL, REDIS_URL]) if (!loopback(u)) throw new Error(`not a loopback address: ${new URL(u).host}`);
  },
  async absent() {
    const found = await pg(async (c) => [
      ...(await c.query("SELECT datname AS name FROM pg_database WHERE datname = $1", [NAME])).rows,
      ...(await c.query("SELECT rolname AS name FROM pg_roles WHERE rolname = ANY($1)", [roles])).rows,
    ].map((r) => r.name));
    const keys = await redis((c) => redisKeys(c, false));
    if (found.length || keys) {
      throw new Error(`left over from an earlier run: ${[...found, keys ? `${keys} Redis key(s) ${NAME}:*` : ""].filter(Boolean).join(", ")}` +
        ` — set CHECK_NAME to another name, or drop them if they are yours`);
    }
  },
  async "verify-migrated"() {
    await pg(async (c) => {
      const db = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [NAME]);
      const found = (await c.query("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [roles])).rows.map((r) => r.rolname);
      if (!db.rowCount) throw new Error(`database ${NAME} missing`);
      if (found.length !== roles.length) throw new Error(`roles missing: ${roles.filter((r) => !found.includes(r)).join(", ")}`);
    });
    const url = new URL(PG_URL); url.pathname = `/${NAME}`;
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const tables = (await client.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1", ["public"])).rows[0].n;
      const migrations = (await client.query("SELECT count(*)::int AS n FROM migrations")).rows[0].n;
      console.log(`database ${NAME}: ${tables} tables, ${migrations} migrations recorded; roles ${roles.join(", ")}`);
      if (!migrations) throw new Error("no migration recorded");
    } finally { await client.end(); }
  },
  async drop() {
    await pg(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${NAME}" WITH (FORCE)`);
      for (const role of roles) await c.query(`DROP ROLE IF EXISTS "${role}"`);
    });
    const keys = await redis((c) => redisKeys(c, true));
    console.log(`dropped database ${NAME}, roles ${roles.join(", ")}; deleted ${keys} Redis key(s) ${NAME}:*`);
  },
};
commands[process.argv[1]]().catch((e) => { console.error(`${process.argv[1]}: ${e.message}`); process.exit(1); });
' "$1")
}

cleanup() {
  local status=$?
  set +e
  if [[ -n $API_PID ]] && kill -0 "$API_PID" 2>/dev/null; then
    kill -TERM "$API_PID"
    for _ in $(seq 1 50); do kill -0 "$API_PID" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$API_PID" 2>/dev/null && kill -KILL "$API_PID"
    wait "$API_PID" 2>/dev/null
  fi
  if [[ $OWNS_DATA == 1 ]]; then
    say "cleanup"
    helper drop || { echo "cleanup could not drop $NAME: remove the database, roles ${NAME}_* and Redis keys $NAME:* by hand" >&2; status=1; }
  fi
  [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
  if [[ $status == 0 ]]; then echo "image:check passed"; else echo "image:check failed (exit $status)" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

helper check-loopback

say "build (typecheck + swc)"
(cd "$ROOT" && npm run build)

say "runtime layout"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cs-image.XXXXXX")
mkdir -p "$WORK/scripts"
cp -R "$ROOT/dist" "$WORK/dist"
find "$WORK/dist" -name '*.map' -delete
cp "$ROOT/scripts/run-command.js" "$WORK/scripts/run-command.js"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$WORK/"
(
  cd "$WORK"
  NODE_ENV=production npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline
  rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver
)
echo "assembled in $WORK"

say "no devDependencies, no TypeScript sources, no loader"
(
  cd "$WORK"
  node -e '
const fs = require("fs");
const dev = Object.keys(require("./package.json").devDependencies);
const left = [...new Set([...dev, "typescript", "@swc-node/register", "@swc/core", "jest"])].filter((n) => fs.existsSync(`node_modules/${n}`));
if (left.length) { console.error(`devDependencies installed: ${left.join(", ")}`); process.exit(1); }
console.log(`none of the ${dev.length} devDependencies is installed`);
'
  # run-command.js picks dist/ exactly when this fails to resolve.
  if (cd scripts && node -e 'require.resolve("@swc-node/register")' 2>/dev/null); then
    fail "@swc-node/register resolves from $WORK/scripts"
  fi
  ts=$(find . -path ./node_modules -prune -o -type f \( -name '*.ts' -o -name '*.map' -o -name '.swcrc' -o -name 'tsconfig*.json' \) -print)
  [[ -z $ts ]] || fail "TypeScript sources or source maps in the layout: $ts"
  [[ -f dist/libs/database/src/commands/migrate.command.js && -f dist/libs/database/src/commands/verify-ledger.command.js ]] ||
    fail "compiled commands missing from dist/"
  ls dist/libs/database/src/migrations/*.js >/dev/null || fail "compiled migrations missing from dist/"
  echo "layout: $(find . -path ./node_modules -prune -o -type f -print | sed 's|^\./||' | cut -d/ -f1-2 | sort -u | tr '\n' ' ')"
)

say "db:migrate on a throwaway database ($NAME)"
helper absent
OWNS_DATA=1
export DATABASE_URL REDIS_URL QUEUE_PREFIX="$NAME" DEV_KEYS_FILE="$WORK/.data/dev-keys.json"
(cd "$WORK" && npm run db:migrate)
helper verify-migrated
(cd "$WORK" && npm run ledger:verify)

say "apps from the runtime layout"
# The worker and the confirmation service: their whole module graph loads from production dependencies.
(
  cd "$WORK"
  node -e '
require("reflect-metadata");
for (const m of ["notification-worker/src/notification-worker.module", "confirmation-service/src/confirmation-service.module"]) {
  require(`./dist/apps/${m}`);
  console.log(`loaded dist/apps/${m}.js`);
}'
)
PORT=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
# With the image's heap bounds and malloc arenas (its ENV NODE_OPTIONS, MALLOC_ARENA_MAX), as the container runs it.
IMAGE_NODE_OPTIONS=$(sed -n 's/^ENV NODE_OPTIONS="\(.*\)"$/\1/p' "$ROOT/Dockerfile")
[ -n "$IMAGE_NODE_OPTIONS" ] || fail "the Dockerfile sets no NODE_OPTIONS"
IMAGE_MALLOC_ARENA_MAX=$(sed -n 's/^ENV MALLOC_ARENA_MAX="\(.*\)"$/\1/p' "$ROOT/Dockerfile")
[ -n "$IMAGE_MALLOC_ARENA_MAX" ] || fail "the Dockerfile sets no MALLOC_ARENA_MAX"
(cd "$WORK" && PORT="$PORT" NODE_OPTIONS="$IMAGE_NODE_OPTIONS" MALLOC_ARENA_MAX="$IMAGE_MALLOC_ARENA_MAX" exec node dist/apps/api/src/main.js >"$WORK/api.log" 2>&1) &
API_PID=$!
health=
for _ in $(seq 1 120); do
  kill -0 "$API_PID" 2>/dev/null || { cat "$WORK/api.log" >&2; fail "the API exited during start-up"; }
  # Only the API runs here: /health is 503 for want of the other apps' heartbeats; its own Postgres and Redis must be up.
  if health=$(node -e '
fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
  .then(async (r) => {
    const body = await r.json();
    console.log(`${r.status} ${JSON.stringify(body)}`);
    process.exit(body.checks.postgres.status === "up" && body.checks.redis.status === "up" ? 0 : 1);
  })
  .catch(() => process.exit(1));' "http://127.0.0.1:$PORT/health"); then
    break
  fi
  health=
  sleep 0.5
done
[[ -n $health ]] || { cat "$WORK/api.log" >&2; fail "GET /health did not find Postgres and Redis up within 60 s"; }
echo "GET http://127.0.0.1:$PORT/health -> $health"

say "sizes"
size() { du -sh "$1" | cut -f1; }
echo "runtime layout (dist + node_modules):  $(size "$WORK")"
echo "  its node_modules:                    $(size "$WORK/node_modules")"
echo "  its dist:                            $(size "$WORK/dist")"
echo "this checkout's full node_modules:     $(size "$ROOT/node_modules")"
