import { DrillLoad } from './drill-load';
import { DrillWorld } from './drill-world';

/** How long things last: minutes in the full run, seconds in CI's short one (with the apps' backoff compressed). */
export interface DrillTimings {
  short: boolean;
  customers: number;
  warmupMs: number;
  afterMs: number;
  appDownMs: number;
  redisDownMs: number;
  postgresCutMs: number;
  smtpOutageMs: number;
  pushOutageMs: number;
  /** Past BullMQ's stalled-job detection (lock 30 s, checked every 30 s). */
  stallMs: number;
  /** CONFIRMATION_WINDOW, in ms. */
  windowMs: number;
  /** Variables given to every app. */
  appEnv: Record<string, string>;
}

export function timings(short: boolean): DrillTimings {
  const s = (seconds: number) => seconds * 1000;
  const common = {
    PUBLIC_RATE_LIMIT_PER_MINUTE: '100000',
    PUSHES_PER_HOUR: '100000',
    CUSTOMER_WRITES_PER_MINUTE: '100000',
  };
  // Short: longer than BullMQ's recovery of a job whose worker died (lock 30 s, checked every 30 s), so that a
  // challenge stuck in a killed notification worker is still delivered in time.
  const window = Number(process.env.DRILL_WINDOW_SECONDS ?? (short ? 90 : 300));
  if (short)
    return {
      short,
      customers: Number(process.env.DRILL_CUSTOMERS ?? 48),
      warmupMs: s(6),
      afterMs: s(5),
      appDownMs: s(14),
      redisDownMs: s(5),
      postgresCutMs: s(8),
      // Longer than the old fixed budget at this compressed backoff (8 attempts from 100 ms: 12.7 s).
      smtpOutageMs: s(Number(process.env.DRILL_SMTP_OUTAGE_SECONDS ?? 15)),
      pushOutageMs: s(12),
      stallMs: s(40),
      windowMs: s(window),
      appEnv: {
        ...common,
        CONFIRMATION_WINDOW: `${window}s`,
        VERDICT_TIMEOUT: '5s',
        DELIVERY_RETRY_BASE: '100ms',
        DELIVERY_RETRY_CAP: '1s',
        RECONCILE_INTERVAL: '2s',
      },
    };
  return {
    short,
    customers: Number(process.env.DRILL_CUSTOMERS ?? 40),
    warmupMs: s(20),
    afterMs: s(20),
    appDownMs: s(20),
    redisDownMs: s(15),
    postgresCutMs: s(30),
    // Two and a half minutes: longer than the old budget of 8 attempts from 1 s (about 127 s).
    smtpOutageMs: s(Number(process.env.DRILL_SMTP_OUTAGE_SECONDS ?? 150)),
    pushOutageMs: s(60),
    stallMs: s(75),
    windowMs: s(window),
    appEnv: { ...common, CONFIRMATION_WINDOW: `${window}s` },
  };
}

export interface DrillContext {
  world: DrillWorld;
  load: DrillLoad;
  t: DrillTimings;
  log: (line: string) => void;
}

export interface Drill {
  name: string;
  /** What the fault is, in a phrase. */
  fault: string;
  /** Before the warm-up (e.g. a second confirmation service, a wallet that is behind). */
  prepare?: (c: DrillContext) => Promise<void>;
  /** Starts the fault; resolves with how long it should last. */
  begin: (c: DrillContext) => Promise<number> | number;
  /** Ends the fault (the restart, the peer back). */
  end: (c: DrillContext) => Promise<void> | void;
  /** After the checks. */
  cleanup?: (c: DrillContext) => Promise<void>;
  /** /health must have said 503 during it, from this long into the fault (a dead app's heartbeat goes stale after 10 s). */
  unhealthyAfterMs?: number;
  /** /health must have said `degraded` during it (a peer failing: confirmations late, not impossible). */
  expectDegraded?: boolean;
  /** Email must keep flowing while the other channel is in trouble. */
  emailLatencyBoundMs?: number;
}

const killAndRestart = (slot: 'api' | 'notification-worker' | 'confirmation-service'): Drill => ({
  name: `kill-${slot}`,
  fault: `SIGKILL of the ${slot} under load, restarted after the pause`,
  begin: async ({ world, t }) => {
    await world.app(slot).kill();
    return t.appDownMs;
  },
  end: async ({ world }) => {
    await world.startApp(slot);
  },
  // With the only notification worker or confirmation service dead, confirmations cannot complete.
  unhealthyAfterMs: slot === 'api' ? undefined : 11_000,
});

export const DRILLS: Drill[] = [
  killAndRestart('api'),
  killAndRestart('notification-worker'),
  killAndRestart('confirmation-service'),
  {
    name: 'redis-kill-aof',
    fault: 'Redis killed (SIGKILL) and restarted with its append-only file',
    begin: async ({ world, t }) => {
      await world.redis.kill();
      return t.redisDownMs;
    },
    end: async ({ world }) => {
      await world.redis.start();
    },
    unhealthyAfterMs: 2000,
  },
  {
    name: 'redis-empty',
    fault: 'Redis killed and restarted empty (its files gone: a failover to an empty replica, a FLUSHALL)',
    // A wallet that is behind: postings wait in Redis for it, as they do in production between two batches.
    prepare: async ({ world }) => world.wallet.pause(),
    begin: async ({ world, t }) => {
      await world.redis.kill();
      await world.redis.forget();
      return t.redisDownMs;
    },
    end: async ({ world }) => {
      await world.redis.start();
      await world.wallet.resume();
    },
    unhealthyAfterMs: 2000,
  },
  {
    name: 'postgres-cut',
    fault: 'Postgres cut off (every connection dropped, new ones refused)',
    begin: async ({ world, t }) => {
      await world.postgres.cut();
      return t.postgresCutMs;
    },
    end: ({ world }) => world.postgres.restore(),
    unhealthyAfterMs: 2000,
  },
  {
    name: 'smtp-refusing',
    expectDegraded: true,
    fault: 'the SMTP relay refusing connections, longer than the old fixed retry budget',
    begin: async ({ world, t }) => {
      await world.smtpRelay.cut();
      return t.smtpOutageMs;
    },
    end: ({ world }) => world.smtpRelay.restore(),
  },
  {
    name: 'smtp-421',
    expectDegraded: true,
    fault: 'the SMTP relay answering 421 (try later) to every connection, longer than the old retry budget',
    begin: ({ world, t }) => {
      world.env.smtp.busy = true;
      return t.smtpOutageMs;
    },
    end: ({ world }) => {
      world.env.smtp.busy = false;
    },
  },
  {
    name: 'push-500',
    expectDegraded: true,
    fault: 'the push service answering 500 to every push',
    begin: ({ world, t }) => {
      world.env.push.failWith = 500;
      return t.pushOutageMs;
    },
    end: ({ world }) => {
      world.env.push.failWith = undefined;
    },
  },
  {
    name: 'push-hang',
    expectDegraded: true,
    fault: 'the push service accepting connections and never answering',
    begin: ({ world, t }) => {
      world.env.push.hang();
      return t.pushOutageMs;
    },
    end: ({ world }) => world.env.push.answerAgain(),
    emailLatencyBoundMs: 5000,
  },
  {
    name: 'push-410-one-device',
    fault: "the push service answering 410 Gone for one customer's device (of two), for good",
    begin: ({ world, load, t }) => {
      const [customer] = load.customers;
      world.env.push.respondWith(customer.subscriptions[0].endpoint, 410);
      return t.pushOutageMs / 3;
    },
    end: () => undefined,
  },
  {
    name: 'confirmation-service-stalled',
    fault: 'the confirmation service stopped (SIGSTOP) past the stalled-job interval while a second one runs, then continued (SIGCONT)',
    prepare: async ({ world }) => {
      await world.startApp('confirmation-service-2');
    },
    begin: ({ world, t }) => {
      process.kill(world.app('confirmation-service').pid!, 'SIGSTOP');
      return t.stallMs;
    },
    end: ({ world }) => {
      process.kill(world.app('confirmation-service').pid!, 'SIGCONT');
    },
    cleanup: async ({ world }) => {
      await world.app('confirmation-service-2').stop();
      world.apps.delete('confirmation-service-2');
    },
  },
];
