import { verifyAuditChain, verifyLedger } from '@app/database';
import { QueueName } from '@app/queue';
import { Flow } from './drill-load';
import { DrillLoad } from './drill-load';
import { DrillWorld } from './drill-world';

export interface Check {
  name: string;
  ok: boolean;
  /** What is wrong, with the rows at fault (at most a few). */
  detail?: unknown;
}

export interface HealthSample {
  at: number;
  status: number;
  /** The body's status: ok, degraded, unavailable. */
  state?: string;
  ms: number;
}

/** The sweep runs every 15 s; the reconciler puts back a lost expiry within its interval. */
export const EXPIRY_GRACE_MS = 25_000;

const few = <T>(items: T[]) => (items.length > 5 ? [...items.slice(0, 5), `… and ${items.length - 5} more`] : items);

function check(name: string, faults: unknown[]): Check {
  return faults.length ? { name, ok: false, detail: { count: faults.length, examples: few(faults) } } : { name, ok: true };
}

/** Where the wallet's acknowledgement is recorded, once the suite records it (a `handed_off_at` column). */
async function handOffColumn(world: DrillWorld): Promise<string | undefined> {
  const rows: { table_name: string }[] = await world.env.admin.query(
    `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'handed_off_at'`,
  );
  return rows[0]?.table_name;
}

/** How many withdrawals have their hand-off to the wallet recorded, if the suite records it. */
export async function handedOffCount(world: DrillWorld, ids: string[]): Promise<number | undefined> {
  const table = await handOffColumn(world);
  if (!table) return undefined;
  const column = table === 'withdrawals' ? 'id' : 'withdrawal_id';
  const [{ n }] = await world.env.admin.query(
    `SELECT count(DISTINCT ${column})::int AS n FROM ${table} WHERE ${column} = ANY($1) AND handed_off_at IS NOT NULL`,
    [ids],
  );
  return n;
}

interface Row {
  id: string;
  user_id: string;
  status: string;
  created_at: Date;
  posted_at: Date | null;
  expires_at: Date;
  approved: number;
  pending: number;
  post_pending: number;
  void_pending: number;
  posting_id: string | null;
}

export async function withdrawalRows(world: DrillWorld, since?: number): Promise<Row[]> {
  return world.env.admin.query(
    `SELECT w.id, w.user_id, w.status, w.created_at, w.posted_at, w.expires_at,
            (SELECT count(*)::int FROM withdrawal_factors f WHERE f.withdrawal_id = w.id AND f.status = 'approved') AS approved,
            (SELECT count(*)::int FROM ledger_transfers t WHERE t.withdrawal_id = w.id AND t.kind = 'pending') AS pending,
            (SELECT count(*)::int FROM ledger_transfers t WHERE t.withdrawal_id = w.id AND t.kind = 'post_pending') AS post_pending,
            (SELECT count(*)::int FROM ledger_transfers t WHERE t.withdrawal_id = w.id AND t.kind = 'void_pending') AS void_pending,
            (SELECT min(t.id::text) FROM ledger_transfers t WHERE t.withdrawal_id = w.id AND t.kind = 'post_pending') AS posting_id
       FROM withdrawals w WHERE ($1::timestamptz IS NULL OR w.created_at >= $1)`,
    [since === undefined ? null : new Date(since)],
  );
}

/**
 * The invariants after a drill, each a named check: money (exactly once, never without three, holds released),
 * delivery (every challenge of an open withdrawal delivered, every posting handed to the wallet), the audit
 * (no job failed for good without an entry), both verifications, and what a customer or operator met.
 */
export async function checkDrill(
  world: DrillWorld,
  load: DrillLoad,
  drill: {
    name: string;
    startedAt: number;
    faultStart: number;
    faultEnd: number;
    health: HealthSample[];
    unhealthyAfterMs?: number;
    expectDegraded?: boolean;
    emailLatencyBoundMs?: number;
  },
): Promise<Check[]> {
  const checks: Check[] = [];
  const flows = load.flows.filter((f) => f.drill === drill.name);
  const byId = new Map(load.flows.map((f) => [f.id, f]));
  const rows = await withdrawalRows(world);
  const row = new Map(rows.map((r) => [r.id, r]));
  const mine = rows.filter((r) => r.created_at.getTime() >= drill.startedAt || byId.get(r.id)?.drill === drill.name);
  const meantToPost = (f: Flow | undefined) => !!f && (f.plan === 'three' || f.late);

  checks.push(
    check(
      'every withdrawal confirmed on three channels posted exactly once',
      flows
        .filter((f) => meantToPost(f))
        .flatMap((f) => {
          const r = row.get(f.id);
          return r && r.status === 'posted' && r.pending === 1 && r.post_pending === 1 && r.void_pending === 0
            ? []
            : [
                {
                  id: f.id,
                  plan: f.plan,
                  customerWas: f.stage,
                  late: f.late,
                  status: r?.status,
                  transfers: r && { pending: r.pending, post: r.post_pending, void: r.void_pending },
                },
              ];
        }),
    ),
  );
  checks.push(
    check(
      'no posting more than once, none without three approvals (whole database)',
      rows
        .filter(
          (r) =>
            r.post_pending > 1 ||
            (r.post_pending > 0 && (r.approved < 3 || r.status !== 'posted')) ||
            (r.status === 'posted' && r.post_pending !== 1),
        )
        .map((r) => ({ id: r.id, status: r.status, approved: r.approved, postings: r.post_pending })),
    ),
  );
  checks.push(
    check(
      'none posted that its customer confirmed on two channels only',
      rows.filter((r) => r.status === 'posted' && byId.has(r.id) && !meantToPost(byId.get(r.id))).map((r) => r.id),
    ),
  );
  const posted = mine.filter((r) => r.status === 'posted');
  checks.push(
    check(
      'every posting handed to the wallet, as one posting (the same transfer however often delivered)',
      posted.flatMap((r): unknown[] => {
        const got = world.wallet.received.get(r.id);
        if (!got?.length) return [{ id: r.id, wallet: 'never received it' }];
        if (new Set(got).size !== 1 || got[0] !== r.posting_id) return [{ id: r.id, transfers: got, ledger: r.posting_id }];
        return [];
      }),
    ),
  );
  checks.push(
    check('the wallet received nothing that is not posted, and refused nothing', [
      ...[...world.wallet.received.keys()].filter((id) => row.get(id)?.status !== 'posted').map((id) => ({ id, status: row.get(id)?.status })),
      ...world.wallet.refused.map((id) => ({ refused: id })),
    ]),
  );
  const handedOff = await handedOffCount(
    world,
    posted.map((r) => r.id),
  );
  if (handedOff !== undefined)
    checks.push(
      check(
        'every posting has its hand-off to the wallet recorded in Postgres',
        handedOff === posted.length ? [] : [{ posted: posted.length, handedOff }],
      ),
    );
  // Withdrawals left unconfirmed expire a window after creation: judged once due (and the 15 s sweep past),
  // whichever drill made them — a lost expiry shows in the drill after the one that lost it, or at the end.
  const due = (r: Row) => r.expires_at.getTime() < Date.now() - EXPIRY_GRACE_MS;
  checks.push(
    check(
      'every other withdrawal expired with its hold released once due (or completed when confirmed later)',
      rows
        .filter((r) => !meantToPost(byId.get(r.id)) && due(r))
        .filter((r) => !(r.status === 'expired' && r.void_pending === 1 && r.post_pending === 0))
        .map((r) => ({
          id: r.id,
          madeIn: byId.get(r.id)?.drill,
          status: r.status,
          expiresAt: r.expires_at,
          transfers: { pending: r.pending, post: r.post_pending, void: r.void_pending },
        })),
    ),
  );
  const [{ held }] = await world.env.admin.query(
    `SELECT coalesce(sum(debits_pending), 0)::text AS held FROM ledger_accounts WHERE kind = 'customer'`,
  );
  const [{ open }] = await world.env.admin.query(`SELECT count(*)::int AS open FROM withdrawals WHERE status IN ('pending_confirmation', 'held')`);
  checks.push(check('no hold left once every withdrawal has ended', open === 0 && Number(held) !== 0 ? [{ held }] : []));

  // Delivery: what reached the peers, not what the database says was sent.
  const devices: { id: string; user_id: string; endpoint: string; created_at: Date; retired_at: Date | null }[] = await world.env.admin.query(
    `SELECT id, user_id, endpoint, created_at, retired_at FROM push_subscriptions`,
  );
  // A push to one device may wait its turn (its push service busy) or be retried while the customer approves
  // on another: once the withdrawal has ended, challenges are no longer sent (nor wanted). Such a device is
  // excused only for a withdrawal posted after its push factor was approved through another device's push,
  // and only when the fan-out reserved the device's challenge: a device the fan-out left out is still missing.
  const reserved: { withdrawal_id: string; subscription_id: string }[] = await world.env.admin.query(
    `SELECT c.withdrawal_id, c.subscription_id::text FROM challenges c
      WHERE c.withdrawal_id = ANY($1) AND c.factor = 'push' AND c.sent_at IS NULL AND c.consumed_at IS NULL
        AND EXISTS (SELECT FROM challenges o WHERE o.withdrawal_id = c.withdrawal_id AND o.factor = 'push' AND o.consumed_at IS NOT NULL)`,
    [mine.filter((r) => r.status === 'posted').map((r) => r.id)],
  );
  const overtaken = new Set(reserved.map((c) => `${c.withdrawal_id}/${c.subscription_id}`));
  checks.push(
    check(
      "every challenge delivered: the email, and a push to each live device, of every withdrawal (a posted one's overtaken pushes aside)",
      mine.flatMap((r) => {
        const missing: string[] = [];
        if (!load.emailsFor(r.id).length) missing.push('email');
        const pushes = load.pushesFor(r.id);
        for (const d of devices.filter((d) => d.user_id === r.user_id && !d.retired_at && d.created_at < r.created_at)) {
          if (!pushes.some((p) => p.endpoint === d.endpoint) && !overtaken.has(`${r.id}/${d.id}`)) missing.push(`push to ${d.id}`);
        }
        return missing.length ? [{ id: r.id, status: r.status, missing }] : [];
      }),
    ),
  );

  // Jobs that failed for good since the drill began, each with an audit entry naming it or its withdrawal.
  const failedForGood: { queue: string; name: string; id?: string; reason: string }[] = [];
  for (const name of Object.values(QueueName)) {
    const queue = world.queue(name);
    try {
      for (const job of await queue.getJobs(['failed'])) {
        if ((job.finishedOn ?? 0) < drill.startedAt) continue;
        // A scheduler's repetition (the 15 s expiry sweep) that failed is done again by the next one: not for good.
        if (String(job.id).startsWith('repeat:')) continue;
        const withdrawalId = (job.data as { withdrawalId?: string }).withdrawalId ?? null;
        const [{ n }] = await world.env.admin.query(
          `SELECT count(*)::int AS n FROM audit_events
            WHERE at >= $3 AND (detail::text LIKE '%' || $1 || '%' OR (withdrawal_id = $2 AND event ~ '(fail|undeliver|gave_up|abandon)'))`,
          [job.id ?? '', withdrawalId, new Date(drill.startedAt)],
        );
        if (n === 0) failedForGood.push({ queue: name, name: job.name, id: job.id, reason: job.failedReason });
      }
    } finally {
      await queue.close();
    }
  }
  checks.push(check('no job failed for good without an audit entry (scheduled repetitions aside: the next one redoes it)', failedForGood));

  const ledger = await verifyLedger(world.env.admin);
  checks.push(check('ledger:verify clean', ledger));
  const audit = await verifyAuditChain(world.env.admin);
  checks.push(check('audit:verify clean', audit.faults));

  checks.push(
    check(
      'every customer saw their withdrawals through (no dead link, no refusal)',
      load.problems.filter((p) => flows.some((f) => p.includes(f.id)) || !/[0-9a-f]{8}-/.test(p)),
    ),
  );
  checks.push(
    check(
      'no creation answered 500 (an outage is a 503 a client retries)',
      load.creations
        .filter((c) => c.at >= drill.startedAt && c.status >= 500 && c.status !== 503)
        .map((c) => ({
          status: c.status,
          // What the API logged about it (an unexpected error is logged with its stack).
          apiLog: world.logs
            .filter((l) => l.app === 'api' && Math.abs(l.at - c.at) < 1500 && /error|exception/i.test(l.line))
            .slice(0, 3)
            .map((l) => l.line.slice(0, 300)),
        })),
    ),
  );
  // While the API itself is dead nobody answers /health: those probes say nothing.
  const probes = drill.health.filter((h) => !(drill.name === 'kill-api' && h.at >= drill.faultStart - 2000 && h.at <= drill.faultEnd + 15_000));
  checks.push(
    check(
      '/health answered within a second, every time',
      probes.filter((h) => h.ms > 1000 || h.status === 0).map((h) => ({ status: h.status, ms: h.ms })),
    ),
  );
  const during = (afterMs: number) => drill.health.filter((h) => h.at >= drill.faultStart + afterMs && h.at <= drill.faultEnd);
  if (drill.unhealthyAfterMs !== undefined) {
    const seen = during(drill.unhealthyAfterMs);
    checks.push(
      check(
        '/health said 503 while confirmations could not complete',
        seen.some((h) => h.status === 503) ? [] : [{ answers: [...new Set(seen.map((h) => h.status))] }],
      ),
    );
  }
  if (drill.expectDegraded) {
    const seen = during(2000);
    checks.push(
      check(
        '/health said degraded while a peer failed',
        seen.some((h) => h.state === 'degraded') ? [] : [{ answers: [...new Set(seen.map((h) => `${h.status} ${h.state}`))] }],
      ),
    );
  }
  checks.push(
    check(
      "no app died on its own (one app's fault never takes another down)",
      world.deaths.filter((d) => d.at >= drill.startedAt).map((d) => ({ app: d.app, exit: d.how, lastLines: d.lastLines.slice(-4) })),
    ),
  );
  const stacks = world.logs.filter((l) => l.at >= drill.startedAt && /Unhandled error event/.test(l.line));
  checks.push(
    check(
      'no raw "Unhandled error event" stack in the logs',
      stacks.map((l) => `${l.app}: ${l.line.slice(0, 160)}`),
    ),
  );
  if (drill.emailLatencyBoundMs !== undefined) {
    // When the worker sent it (the message's Date header, whole seconds): what the suite did, not how soon this
    // busy runner noticed.
    const latencies = emailSentLatencies(load, flows, drill.faultStart, drill.faultEnd);
    const p95 = percentile(latencies, 0.95);
    checks.push(
      check(
        `email unaffected by the other channel: 95th percentile creation → email sent, during the fault, under ${drill.emailLatencyBoundMs} ms`,
        p95 !== undefined && p95 > drill.emailLatencyBoundMs ? [{ p95, samples: latencies.length }] : [],
      ),
    );
  }
  return checks;
}

/** Creation → the email in the customer's hands (the customer waits for it first), for withdrawals created during the fault. */
export function emailLatencies(flows: Flow[], from: number, to: number): number[] {
  return flows.filter((f) => f.createdAt >= from && f.createdAt <= to && f.emailAt !== undefined).map((f) => f.emailAt! - f.createdAt);
}

/** Creation → the challenge email sent (its Date header), for withdrawals created during the fault. */
export function emailSentLatencies(load: DrillLoad, flows: Flow[], from: number, to: number): number[] {
  return flows
    .filter((f) => f.createdAt >= from && f.createdAt <= to)
    .flatMap((f) => {
      const sent = load.emailsFor(f.id)[0]?.date?.getTime();
      return sent === undefined ? [] : [sent - f.createdAt];
    });
}

export function percentile(values: number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
