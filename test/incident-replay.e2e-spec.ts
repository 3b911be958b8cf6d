import { replayIncident } from './support/incident-replay';
import { useSuite } from './support/use-suite';

const ALERTS = 'incident-desk@countersign.test';
/** In CI: 60 attacker-held accounts (all 483 with `npm run replay:incident`) and 20 legitimate customers. */
const ATTACKERS = Number(process.env.INCIDENT_ATTACKERS ?? 60);

/**
 * The incident the product exists for, replayed against the running suite with the documented risk defaults
 * (ANOMALY_MAX_ACCOUNTS=3 in ANOMALY_WINDOW=10m, automatic pause at 5 × the trailing mean and at least 20 a
 * minute): accounts whose three factors the attacker holds, drained from 5 addresses to 2 destinations,
 * interleaved with legitimate customers from their own addresses to their own destinations.
 */
describe(`the incident replayed: ${ATTACKERS} accounts from 5 addresses to 2 destinations, 20 legitimate customers`, () => {
  const t = useSuite({
    TRUST_PROXY: '1',
    ANOMALY_WINDOW: '10m',
    ANOMALY_MAX_ACCOUNTS: '3',
    AUTO_PAUSE_FACTOR: '5',
    AUTO_PAUSE_MIN_PER_MINUTE: '20',
    OPERATOR_ALERT_EMAIL: ALERTS,
    PUBLIC_RATE_LIMIT_PER_MINUTE: '100000',
  });

  it('holds or refuses every attacker withdrawal past 3 per key, pauses automatically, posts none held, and leaves legitimate customers alone', async () => {
    const { counts, violations } = await replayIncident(t.env, t.suite.baseUrl, t.channels, {
      attackers: ATTACKERS,
      legitimate: 20,
      paceMs: 25,
      maxAccounts: 3,
      operatorAlertEmail: ALERTS,
    });
    console.log(`incident replay (${ATTACKERS} attacker accounts): ${JSON.stringify(counts, null, 2)}`);
    expect(violations).toEqual([]);
    expect(counts.paused && counts.pausedBy).toBe('automatic');
    expect(counts.heldPosted).toBe(0);
    expect(counts.legitimateBeforePause).toBeGreaterThan(0);
    expect(counts.legitimateBeforePausePosted).toBe(counts.legitimateBeforePause);
  });
});
