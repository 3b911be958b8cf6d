import { randomBytes } from 'node:crypto';
import { ApiResponse } from './api-client';
import { ConfirmationChannels } from './confirmation-channels';
import { TestCustomer } from './customer-factory';
import { ledgerFaults } from './ledger-checks';
import { confirmAllThree, DOC_IPS, fundedCustomer, requestWithdrawal } from './risk-kit';
import { sentTo } from './smtp-catcher';
import { TestEnvironment } from './test-suite';

/**
 * The January 2022 incident replayed (DESIGN.md "Why it exists"): accounts whose three factors the attacker
 * holds, drained within minutes from a handful of addresses to a few destinations, while legitimate
 * customers go about their business. Shared by the e2e test (a smaller count) and `npm run replay:incident`
 * (all 483). The suite must run with TRUST_PROXY=1: the addresses are X-Forwarded-For values from the
 * documentation ranges, every connection stays on loopback.
 */
export interface IncidentOptions {
  attackers: number;
  legitimate: number;
  /** Between two requests of the schedule; attackers' requests are not awaited before the next one. */
  paceMs: number;
  maxAccounts: number;
  operatorAlertEmail?: string;
  log?: (line: string) => void;
}

/** The attacker's 5 addresses and 2 destinations. */
export const ATTACKER_IPS = [1, 2, 3, 4, 5].map((n) => DOC_IPS.testNet3(n));
export const ATTACKER_DESTINATIONS = ['bc1qdrainerdestinationone0000000000000000001', 'bc1qdrainerdestinationtwo0000000000000000002'];

interface Requested {
  customer: TestCustomer;
  legitimate: boolean;
  ip: string;
  destination: string;
  sentAt: number;
  answer: ApiResponse;
}

export interface IncidentCounts {
  attackers: number;
  legitimate: number;
  attackerAccepted: number;
  attackerNotHeld: number;
  held: Record<string, number>;
  refused: Record<string, number>;
  heldPosted: number;
  posted: number;
  legitimateBeforePause: number;
  legitimateBeforePausePosted: number;
  legitimateBeforePauseHeld: number;
  legitimateAfterPause: number;
  paused: boolean;
  pausedBy: string | null;
  timeToPauseMs: number | null;
  requestsBeforePause: number;
  notHeldPerIp: Record<string, number>;
  notHeldPerDestination: Record<string, number>;
  operatorAlertEmails: number;
  ledgerFaults: number;
}

export interface IncidentResult {
  counts: IncidentCounts;
  /** What the expectations of the issue found wrong; empty when the replay went as it must. */
  violations: string[];
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function replayIncident(
  env: TestEnvironment,
  baseUrl: string,
  channels: ConfirmationChannels,
  options: IncidentOptions,
): Promise<IncidentResult> {
  const log = options.log ?? (() => undefined);
  const operator = env.operator(baseUrl, 'incident-desk');

  // Accounts, each fully enrolled (verified email, active TOTP, a push device, an address) and funded.
  const attackers: TestCustomer[] = [];
  await pool([...Array(options.attackers).keys()], 16, async (i) => {
    attackers[i] = await fundedCustomer(env, baseUrl, { address: ATTACKER_DESTINATIONS[i % ATTACKER_DESTINATIONS.length], deposit: '1' });
  });
  const legitimate: TestCustomer[] = [];
  await pool([...Array(options.legitimate).keys()], 16, async (i) => {
    legitimate[i] = await fundedCustomer(env, baseUrl, { deposit: '1' });
  });
  log(`${attackers.length} attacker-held accounts and ${legitimate.length} legitimate customers enrolled and funded`);

  // The schedule: legitimate customers evenly among the attacker's requests.
  const total = attackers.length + legitimate.length;
  const legitimateAt = new Set(legitimate.map((_, k) => Math.floor(((k + 0.5) * total) / legitimate.length)));
  const requested: Requested[] = [];
  const inFlight: Promise<void>[] = [];
  let a = 0;
  let l = 0;
  const started = Date.now();
  for (let slot = 0; slot < total; slot++) {
    if (legitimateAt.has(slot) && l < legitimate.length) {
      // A legitimate customer requests from their own address and device, to their own destination, and confirms
      // at once. The attacker's requests already sent are answered first, so that whether this customer came
      // before or after the pause is decided by their own request, not by a race with one still in flight.
      await Promise.all(inFlight.splice(0));
      const k = l++;
      const customer = legitimate[k];
      const ip = DOC_IPS.testNet1(100 + k);
      const sentAt = Date.now();
      const answer = await requestWithdrawal(customer, '0.1', { ip, device: `legit-device-${k}-${randomBytes(3).toString('hex')}` });
      requested.push({ customer, legitimate: true, ip, destination: customer.address, sentAt, answer });
      if (answer.status === 202 && answer.body.status === 'pending_confirmation') {
        await confirmAllThree(channels, customer, answer.body);
        await channels.waitForStatus(customer, answer.body.id, 'posted', 20_000).catch(() => undefined);
      }
    } else {
      const i = a++;
      const customer = attackers[i];
      const ip = ATTACKER_IPS[i % ATTACKER_IPS.length];
      const sentAt = Date.now();
      inFlight.push(
        requestWithdrawal(customer, '0.5', { ip }).then((answer) => {
          requested.push({ customer, legitimate: false, ip, destination: customer.address, sentAt, answer });
        }),
      );
    }
    await sleep(options.paceMs);
  }
  await Promise.all(inFlight);
  log(`${requested.length} withdrawals requested in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const pause = (await operator.get('/v1/admin/withdrawals/pause')).body as { paused: boolean; by: string | null; since: string | null };
  const pausedAt = pause.since ? Date.parse(pause.since) : null;

  // The attacker holds every factor: each withdrawal that was accepted gets all three approvals.
  const accepted = requested.filter((r) => !r.legitimate && r.answer.status === 202);
  await pool(accepted, 8, async (r) => {
    await confirmAllThree(channels, r.customer, r.answer.body);
  });
  // Give the confirmation service every chance to post what it (wrongly) might.
  await sleep(1500);

  const statusOf = async (r: Requested) =>
    (await r.customer.client.get(`/v1/withdrawals/${r.answer.body.id}`)).body as {
      status: string;
      reason: string | null;
      postedAt: string | null;
      factors: Record<string, string>;
    };
  const finals = new Map<Requested, Awaited<ReturnType<typeof statusOf>>>();
  await pool(
    requested.filter((r) => r.answer.status === 202),
    16,
    async (r) => {
      finals.set(r, await statusOf(r));
    },
  );

  const tally = (values: string[]) => values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});
  const attackerRequests = requested.filter((r) => !r.legitimate);
  const heldAtRequest = attackerRequests.filter((r) => r.answer.status === 202 && r.answer.body.status === 'held');
  const notHeld = attackerRequests.filter((r) => r.answer.status === 202 && r.answer.body.status !== 'held');
  const legitimateRequests = requested.filter((r) => r.legitimate);
  // Before the pause: accepted. After it: refused because withdrawals were paused.
  const beforePause = legitimateRequests.filter((r) => r.answer.status === 202);
  const counts: IncidentCounts = {
    attackers: attackerRequests.length,
    legitimate: legitimateRequests.length,
    attackerAccepted: accepted.length,
    attackerNotHeld: notHeld.length,
    held: tally(requested.filter((r) => r.answer.status === 202 && r.answer.body.status === 'held').map((r) => String(r.answer.body.reason))),
    refused: tally(
      requested
        .filter((r) => r.answer.status !== 202)
        .map((r) => `${r.legitimate ? 'legitimate' : 'attacker'} ${r.answer.status} ${r.answer.body.code}`),
    ),
    heldPosted: heldAtRequest.filter((r) => finals.get(r)?.status === 'posted').length,
    posted: [...finals.values()].filter((f) => f.status === 'posted').length,
    legitimateBeforePause: beforePause.length,
    legitimateBeforePausePosted: beforePause.filter((r) => finals.get(r)?.status === 'posted').length,
    legitimateBeforePauseHeld: beforePause.filter((r) => r.answer.body.status === 'held').length,
    legitimateAfterPause: legitimateRequests.length - beforePause.length,
    paused: pause.paused,
    pausedBy: pause.by,
    timeToPauseMs: pausedAt === null ? null : pausedAt - started,
    requestsBeforePause: requested.filter((r) => pausedAt !== null && r.sentAt < pausedAt).length,
    notHeldPerIp: tally(notHeld.map((r) => r.ip)),
    notHeldPerDestination: tally(notHeld.map((r) => r.destination)),
    operatorAlertEmails: options.operatorAlertEmail ? env.smtp.count((m) => sentTo(m, options.operatorAlertEmail!)) : 0,
    ledgerFaults: (await ledgerFaults(env.admin)).length,
  };

  const violations: string[] = [];
  const over = (per: Record<string, number>) => Object.entries(per).filter(([, n]) => n > options.maxAccounts);
  for (const [ip, n] of over(counts.notHeldPerIp))
    violations.push(`${n} attacker withdrawals from ${ip} were not held (at most ${options.maxAccounts})`);
  for (const [d, n] of over(counts.notHeldPerDestination))
    violations.push(`${n} attacker withdrawals to ${d} were not held (at most ${options.maxAccounts})`);
  const unexpected = requested.filter((r) => r.answer.status !== 202 && r.answer.body.code !== 'withdrawals_paused');
  if (unexpected.length)
    violations.push(
      `requests refused for another reason than the pause: ${JSON.stringify(tally(unexpected.map((r) => String(r.answer.body.code))))}`,
    );
  if (!counts.paused || counts.pausedBy !== 'automatic') violations.push(`the automatic pause did not trip (${JSON.stringify(pause)})`);
  if (counts.heldPosted) violations.push(`${counts.heldPosted} held withdrawals posted`);
  const heldNotApproved = heldAtRequest.filter(
    (r) => Object.values(finals.get(r)?.factors ?? {}).some((f) => f !== 'approved') || finals.get(r)?.status !== 'held',
  );
  if (heldNotApproved.length) violations.push(`${heldNotApproved.length} held withdrawals are not held with all three factors approved`);
  if (counts.legitimateBeforePauseHeld) violations.push(`${counts.legitimateBeforePauseHeld} legitimate withdrawals before the pause were held`);
  const delayed = beforePause.filter((r) => {
    const f = finals.get(r);
    return !f || f.status !== 'posted' || !f.postedAt || (pausedAt !== null && Date.parse(f.postedAt) > pausedAt);
  });
  if (delayed.length) violations.push(`${delayed.length} legitimate withdrawals requested before the pause did not post before it`);
  if (counts.legitimateBeforePause === 0) violations.push('no legitimate customer came before the pause: the replay shows nothing about them');
  if (counts.ledgerFaults) violations.push(`ledger:verify found ${counts.ledgerFaults} fault(s)`);
  return { counts, violations };
}
