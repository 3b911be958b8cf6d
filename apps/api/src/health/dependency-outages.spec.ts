import { LivenessRedis } from '@app/queue';
import { DependencyOutages } from './dependency-outages';
import { PostgresProbe } from './postgres-probe';

/** Postgres as a probe finds it: `cut` makes every later ping fail as a lost connection does. */
function postgresThat() {
  const state = { cut: false, pings: 0 };
  const probe = {
    ping: () => {
      state.pings++;
      return state.cut ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) : Promise.resolve();
    },
  } as unknown as PostgresProbe;
  return { state, probe };
}

const redisUp = { ping: () => Promise.resolve('PONG') } as unknown as LivenessRedis;

/** What pg throws when the server goes away mid-query: no code, no SQLSTATE, only a message. */
const terminated = () => new Error('Connection terminated unexpectedly');

describe('DependencyOutages.explain', () => {
  let outages: DependencyOutages;
  afterEach(() => outages.onApplicationShutdown());

  it('a query cut by an outage that began just after a probe said "up": the outage, not an internal error', async () => {
    const postgres = postgresThat();
    outages = new DependencyOutages(postgres.probe, redisUp);
    expect(await outages.probe('postgres')).toMatchObject({ up: true }); // /health, a moment before the cut
    postgres.state.cut = true;
    expect(await outages.explain(terminated())).toBe('postgres');
  });

  it('an error while both answer is internal, and the probes of many such errors at once are shared', async () => {
    const postgres = postgresThat();
    outages = new DependencyOutages(postgres.probe, redisUp);
    const explained = await Promise.all([1, 2, 3, 4].map(() => outages.explain(new TypeError('a bug'))));
    expect(explained).toEqual([undefined, undefined, undefined, undefined]);
    expect(postgres.state.pings).toBeLessThanOrEqual(2);
  });

  it('an outage already known explains the failure without a new probe', async () => {
    const postgres = postgresThat();
    outages = new DependencyOutages(postgres.probe, redisUp);
    postgres.state.cut = true;
    expect(await outages.explain(terminated())).toBe('postgres');
    const pings = postgres.state.pings;
    expect(await outages.explain(terminated())).toBe('postgres');
    expect(postgres.state.pings).toBe(pings);
  });
});
