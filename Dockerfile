# One image for the three apps and the migrator; docker-compose.yml picks the command.
# `npm run image:check` (scripts/check-production-layout.sh) reproduces the runtime stage without Docker:
# keep the two in step.

# Build: the whole tool-chain (TypeScript, swc), typecheck, then compile apps and libs (migrations and
# commands included) to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay off, as in package.json allowScripts: no dependency needs one.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
# Source maps go: they embed the TypeScript sources (sourcesContent), and nothing runs with --enable-source-maps.
RUN npm run build && find dist -name '*.map' -delete

# Runtime: production dependencies, compiled JavaScript, nothing else. No TypeScript, no loader:
# scripts/run-command.js runs `db:migrate` and `ledger:verify` from dist/ when @swc-node/register is absent.
FROM node:20-bookworm-slim AS runtime
# A container's loopback is reachable from nowhere: the image listens on every interface of its own
# network namespace (the app's default, outside a container, is 127.0.0.1).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false
# The V8 heap of each app bounded (README, "Memory"): young generation 4 MB a semi-space, old generation
# 128 MB. Each app's live heap is about 55 MB; without bounds V8 let it grow to 200-400 MB of RSS under load
# before collecting. Raise the old generation for an API instance holding thousands of event streams.
ENV NODE_OPTIONS="--max-semi-space-size=4 --max-old-space-size=128"
# Two glibc malloc arenas instead of up to eight per core (one per thread that allocates: libuv's pool, V8's
# workers): less memory held in half-empty arenas, 2-14 MB less peak RSS per app under the bench, same CPU.
ENV MALLOC_ARENA_MAX="2"
WORKDIR /app
COPY package.json package-lock.json ./
# typescript survives --omit=dev: it is an optional peer of @nestjs/swagger and valibot, so npm marks it
# devOptional and keeps it. Nothing loads it at run time (only @nestjs/swagger's compiler plugin does).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY scripts/run-command.js ./scripts/run-command.js
# Development keys (DEV_KEYS_FILE, default .data/dev-keys.json) are written here; compose mounts a volume.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
CMD ["node", "dist/apps/api/src/main.js"]
