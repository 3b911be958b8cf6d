/**
 * `npm run replay:incident`: the January 2022 incident at full size — 483 accounts whose three factors the
 * attacker holds, withdrawals requested within a few minutes from 5 addresses to 2 destinations, among 20
 * legitimate customers — against the three apps in this process on local Postgres and Redis, with the
 * documented risk defaults. Prints the counts as JSON and exits 1 if any expectation of issue #10 fails.
 * INCIDENT_ATTACKERS (483), INCIDENT_PACE_MS (250: about two minutes of requests) change the run.
 */
const databaseUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/countersign');
process.env.TEST_POSTGRES_URL = `${databaseUrl.protocol}//${databaseUrl.username ? `${databaseUrl.username}${databaseUrl.password ? `:${databaseUrl.password}` : ''}@` : ''}${databaseUrl.host}`;
process.env.TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

import { ConfirmationChannels } from '../support/confirmation-channels';
import { replayIncident } from '../support/incident-replay';
import { InProcessSuite, TestEnvironment } from '../support/test-suite';

const ALERTS = 'incident-desk@countersign.test';
const ATTACKERS = Number(process.env.INCIDENT_ATTACKERS ?? 483);
const PACE_MS = Number(process.env.INCIDENT_PACE_MS ?? 250);
const log = (line: string) => process.stderr.write(`replay:incident: ${line}\n`);

async function main(): Promise<number> {
  const env = await new TestEnvironment().start({
    TRUST_PROXY: '1',
    ANOMALY_WINDOW: '10m',
    ANOMALY_MAX_ACCOUNTS: '3',
    AUTO_PAUSE_FACTOR: '5',
    AUTO_PAUSE_MIN_PER_MINUTE: '20',
    OPERATOR_ALERT_EMAIL: ALERTS,
    PUBLIC_RATE_LIMIT_PER_MINUTE: '100000',
  });
  const suite = await new InProcessSuite(env).start();
  try {
    log(`database ${env.id}; API at ${suite.baseUrl}; ${ATTACKERS} attacker-held accounts, 20 legitimate customers, one request every ${PACE_MS} ms`);
    const started = Date.now();
    const { counts, violations } = await replayIncident(env, suite.baseUrl, new ConfirmationChannels(env, suite.baseUrl), {
      attackers: ATTACKERS,
      legitimate: 20,
      paceMs: PACE_MS,
      maxAccounts: 3,
      operatorAlertEmail: ALERTS,
      log,
    });
    console.log(JSON.stringify({ counts, violations, seconds: Math.round((Date.now() - started) / 1000) }, null, 2));
    for (const v of violations) log(`FAIL ${v}`);
    return violations.length ? 1 : 0;
  } finally {
    await suite.stop();
    await env.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
