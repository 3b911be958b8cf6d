import { QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { ApiClient } from './support/api-client';
import { ConfirmationChannels } from './support/confirmation-channels';
import { TestCustomer } from './support/customer-factory';
import { createCustomerDirect, currentStep, totpForStep } from './support/direct-customer';
import { TestJobs } from './support/job-signing';
import { JobReplayer } from './support/job-replayer';
import { ledgerFaults, waitUntil } from './support/ledger-checks';
import { oathtoolCode } from './support/oathtool';
import { sentTo } from './support/smtp-catcher';
import { InProcessSuite, TestEnvironment } from './support/test-suite';
import { formatUnits, Random, TokenFactor, WithdrawalModel, WithdrawalStatus } from './support/withdrawal-model';

/**
 * Seeded random walks through deposits, withdrawals, email / push / TOTP confirmations, denials, wrong
 * match codes, wrong codes, cancellations and expiries — with requests duplicated and raced against
 * each other, and every queue job delivered twice — checked after every step against an in-memory model
 * (test/support/withdrawal-model.ts): the HTTP answers, each customer's available and held balance, each
 * withdrawal's status and factors, and the number of postings per withdrawal. After each seed the whole
 * ledger is verified and every outcome email counted.
 *
 * Customers are set up directly in the database (test/support/direct-customer.ts) so that hundreds of
 * them cost milliseconds; what they then do goes through the API. After every step the model is compared
 * with the database (one query); after each seed, with what the customer sees over HTTP.
 *
 * `SEED=123 npx jest test/ledger-model.e2e-spec.ts` replays one seed alone; `SEEDS=1000` runs more;
 * `MODEL_CONCURRENCY` sets how many seeds run at once (each seed has customers of its own).
 */
const ONLY_SEED = process.env.SEED ? Number(process.env.SEED) : undefined;
const SEED_COUNT = Number(process.env.SEEDS ?? 200);
const CONCURRENCY = Number(process.env.MODEL_CONCURRENCY ?? 6);
const SEEDS = ONLY_SEED !== undefined ? [ONLY_SEED] : Array.from({ length: SEED_COUNT }, (_, i) => i + 1);

const OUTCOME_SUBJECT: Partial<Record<WithdrawalStatus, RegExp>> = {
  posted: /confirmed and sent/,
  denied: /was stopped/,
  expired: /expired unconfirmed/,
};

interface Op {
  describe: string;
  /** Applies the operation to a model; returns the answer the model expects. */
  model(m: WithdrawalModel): string;
  /** Performs it against the running suite; returns the answer observed, in the same notation. */
  run(): Promise<string>;
}

interface Observation {
  balances: Map<string, { asset: string; available: string; held: string }[]>;
  withdrawals: Map<string, { status: string; factors: Record<string, string>; holds: number; posts: number; voids: number }>;
}

interface Candidate {
  model: WithdrawalModel;
  answers: string[];
}

const figures = {
  seeds: 0,
  steps: 0,
  requests: 0,
  ops: {} as Record<string, number>,
  answers: {} as Record<string, number>,
  finalStatuses: {} as Record<string, number>,
  raceOrders: { first: 0, second: 0 },
  failures: [] as string[],
};
const count = (table: Record<string, number>, key: string, n = 1) => (table[key] = (table[key] ?? 0) + n);

describe(`randomized ledger model: ${SEEDS.length} seed(s) checked after every step`, () => {
  const env = new TestEnvironment();
  let suite: InProcessSuite;
  let channels: ConfirmationChannels;
  let operator: ApiClient;
  let replayer: JobReplayer;
  let confirmations: Queue;
  let posted: Queue;
  const expectedOutcomeMails: { email: string; id: string; subject: RegExp }[] = [];

  beforeAll(async () => {
    await env.start({ PUBLIC_RATE_LIMIT_PER_MINUTE: '1000000' });
    suite = await new InProcessSuite(env).start();
    channels = new ConfirmationChannels(env, suite.baseUrl);
    operator = env.operator(suite.baseUrl);
    // Every notification and confirmation job is delivered a second time.
    replayer = await new JobReplayer(
      env,
      [QueueName.Notifications, QueueName.Confirmations, QueueName.ChallengeEmails, QueueName.Pushes],
      () => 1,
    ).start();
    confirmations = suite.api.get<Queue>(getQueueToken(QueueName.Confirmations));
    posted = suite.api.get<Queue>(getQueueToken(QueueName.WithdrawalsPosted));
    // The in-process TOTP helper agrees with oathtool, the independent reference.
    const probe = await createCustomerDirect(env, suite.baseUrl);
    for (const step of [currentStep() - 1, currentStep(), currentStep() + 1]) {
      expect(totpForStep(probe.totpSecret, step)).toBe(oathtoolCode(probe.totpSecret, new Date(step * 30_000 + 1000)));
    }
  }, 60_000);

  afterAll(async () => {
    await replayer?.stop();
    await suite?.stop();
    await env.stop();
  }, 60_000);

  class SeedRun {
    readonly rng: Random;
    readonly model = new WithdrawalModel();
    readonly customers: { c: TestCustomer; freshLeft: number; usedSteps: number[] }[] = [];
    /** Index-aligned with model.state.withdrawals. */
    readonly real: { id: string; matchCode: string; tokens: Record<TokenFactor, string> }[] = [];
    readonly log: string[] = [];
    private depositCounter = 0;

    constructor(readonly seed: number) {
      this.rng = new Random(seed);
    }

    async run(): Promise<void> {
      const n = this.rng.int(2, 3);
      const enrolled = await Promise.all(Array.from({ length: n }, () => createCustomerDirect(env, suite.baseUrl)));
      for (const c of enrolled) {
        this.model.addCustomer();
        this.customers.push({ c, freshLeft: 2, usedSteps: [] });
      }
      for (let c = 0; c < n; c++) await this.step(0, this.single(this.depositOp(c, 'new', this.rng.pick([100, 125, 200]))));
      const steps = this.rng.int(5, 15);
      for (let s = 1; s <= steps; s++) {
        await this.step(s, this.choose());
        figures.steps++;
      }
      await this.finish();
    }

    private readonly created = new Map<string, { id: string; matchCode: string; customer: TestCustomer }>();

    // ---- choosing -------------------------------------------------------------------------------

    /** Every customer of the seed can act (a frozen one still deposits, and is refused new withdrawals). */
    private active(): number[] {
      return this.customers.map((_, i) => i);
    }

    private withdrawalsOf(customers: number[]): number[] {
      return this.model.state.withdrawals.map((_, i) => i).filter((i) => customers.includes(this.model.state.withdrawals[i].customer));
    }

    private pendingOf(customers: number[]): number[] {
      return this.withdrawalsOf(customers).filter((i) => this.model.state.withdrawals[i].status === 'pending_confirmation');
    }

    private target(): number | undefined {
      const pending = this.pendingOf(this.active());
      const all = this.withdrawalsOf(this.active());
      if (pending.length && (this.rng.chance(0.85) || !all.length)) return this.rng.pick(pending);
      return all.length ? this.rng.pick(all) : undefined;
    }

    private dup(): number {
      return this.rng.pick([1, 1, 1, 2, 3]);
    }

    private choose(): { ops: Op[]; mode: 'dup' | 'pair'; k: number } {
      const active = this.active();
      const hasWithdrawals = this.withdrawalsOf(active).length > 0;
      const hasPending = this.pendingOf(active).length > 0;
      const kind = this.rng.weighted<string>([
        ['deposit', 1],
        ['request', 3],
        ['approve', hasWithdrawals ? 4 : 0],
        ['wrongPick', hasWithdrawals ? 1 : 0],
        ['deny', hasPending ? 0.5 : 0],
        ['totpFresh', hasWithdrawals ? 3 : 0],
        ['totpWrong', hasWithdrawals ? 1 : 0],
        ['cancel', hasWithdrawals ? 1 : 0],
        ['expire', hasPending ? 1 : 0],
        ['race', hasPending ? 1.5 : 0],
      ]);
      const c = this.rng.pick(active);
      switch (kind) {
        case 'deposit': {
          const refs = Object.keys(this.model.state.customers[c].deposits);
          const mode = refs.length
            ? this.rng.weighted<'new' | 'same' | 'other'>([
                ['new', 8],
                ['same', 1],
                ['other', 1],
              ])
            : 'new';
          return { ops: [this.depositOp(c, mode, this.rng.pick([25, 50, 100, 150]))], mode: 'dup', k: this.dup() };
        }
        case 'request': {
          const mine = this.withdrawalsOf([c]);
          const mode = mine.length
            ? this.rng.weighted<'new' | 'replay' | 'conflict'>([
                ['new', 17],
                ['replay', 2],
                ['conflict', 1],
              ])
            : 'new';
          return { ops: [this.requestOp(c, mode, this.rng.pick([10, 25, 40, 50, 75, 100, 150]))], mode: 'dup', k: this.dup() };
        }
        case 'expire':
          return { ops: [this.expireOp(this.rng.pick(this.pendingOf(active)), this.rng.pick(['jobs', 'totp', 'link'] as const))], mode: 'dup', k: 1 };
        case 'race': {
          const pending = this.pendingOf(active);
          const a = this.rng.pick(pending);
          const b = this.rng.chance(0.6) ? a : this.rng.pick(pending);
          const kinds = ['approve', 'approve', 'totpFresh', 'cancel', 'wrongPick', 'totpWrong', 'deny'] as const;
          const ka = this.rng.pick(kinds);
          const kb = this.rng.pick(kinds);
          const opA = this.tokenOrCodeOp(ka, a);
          const opB = this.tokenOrCodeOp(kb, b);
          return { ops: [opA, opB], mode: 'pair', k: 1 };
        }
        default:
          return { ops: [this.tokenOrCodeOp(kind as 'approve', this.target()!)], mode: 'dup', k: this.dup() };
      }
    }

    private tokenOrCodeOp(kind: 'approve' | 'wrongPick' | 'deny' | 'totpFresh' | 'totpWrong' | 'cancel', i: number): Op {
      // Mostly a factor still waiting (so that withdrawals do get confirmed), sometimes any.
      const w = this.model.state.withdrawals[i];
      const waiting = (['email', 'push'] as const).filter((f) => w.factors[f] === 'pending');
      const factor: TokenFactor = waiting.length && this.rng.chance(0.8) ? this.rng.pick(waiting) : this.rng.pick(['email', 'push'] as const);
      switch (kind) {
        case 'approve':
          return this.decideOp(i, factor, 'approve', true);
        case 'wrongPick':
          return this.decideOp(i, factor, 'approve', false);
        case 'deny':
          return this.decideOp(i, factor, 'deny', true);
        case 'cancel':
          return this.cancelOp(i);
        case 'totpFresh': {
          const owner = this.customers[this.model.state.withdrawals[i].customer];
          if (owner.freshLeft === 0) return this.totpOp(i, 'wrong');
          owner.freshLeft--; // two fresh codes per customer: see freshCode()
          return this.totpOp(i, 'fresh');
        }
        case 'totpWrong':
          return this.totpOp(i, 'wrong');
      }
    }

    private single(op: Op) {
      return { ops: [op], mode: 'dup' as const, k: 1 };
    }

    // ---- operations -----------------------------------------------------------------------------

    private depositOp(c: number, mode: 'new' | 'same' | 'other', amount: number): Op {
      const k = this.model.state.customers[c];
      let reference = `dep-${this.seed}-${this.customers[c].c.id}-${++this.depositCounter}`;
      if (mode !== 'new') {
        reference = this.rng.pick(Object.keys(k.deposits).sort());
        amount = mode === 'same' ? k.deposits[reference] : k.deposits[reference] + 5;
      }
      return {
        describe: `deposit ${formatUnits(amount)} to customer ${c} (${mode} reference)`,
        model: (m) => m.deposit(c, reference, amount),
        run: async () => {
          const r = await operator.post('/v1/admin/deposits', {
            userId: this.customers[c].c.id,
            asset: 'BTC',
            amount: formatUnits(amount),
            reference,
          });
          return r.status === 200 || r.status === 201 ? String(r.status) : `${r.status} ${r.body.code}`;
        },
      };
    }

    private requestOp(c: number, mode: 'new' | 'replay' | 'conflict', amount: number): Op {
      let key = `w-${this.seed}-${randomBytes(6).toString('hex')}`;
      let knownId: string | undefined;
      if (mode !== 'new') {
        const i = this.rng.pick(this.withdrawalsOf([c]));
        const w = this.model.state.withdrawals[i];
        key = w.key;
        knownId = this.real[i].id;
        amount = mode === 'replay' ? w.amount : w.amount + 5;
      }
      const customer = this.customers[c].c;
      return {
        describe: `customer ${c} requests ${formatUnits(amount)} (${mode} key)`,
        model: (m) => m.request(c, key, amount).answer,
        run: async () => {
          figures.requests++;
          const r = await customer.client.post(
            '/v1/withdrawals',
            { addressId: customer.addressId, amount: formatUnits(amount) },
            { 'idempotency-key': key },
          );
          if (r.status !== 202) return `${r.status} ${r.body.code}`;
          if (knownId && r.body.id !== knownId) return `202 ${r.body.status} BUT ANOTHER WITHDRAWAL ${r.body.id}`;
          this.created.set(key, { id: r.body.id, matchCode: r.body.matchCode, customer });
          return `202 ${r.body.status}`;
        },
      };
    }

    private decideOp(i: number, factor: TokenFactor, decision: 'approve' | 'deny', rightCode: boolean): Op {
      const real = this.real[i];
      const matchCode = rightCode ? real.matchCode : String((Number(real.matchCode) + this.rng.int(1, 99)) % 100).padStart(2, '0');
      const what = decision === 'deny' ? 'denies' : rightCode ? 'approves' : 'picks a wrong code on';
      return {
        describe: `${factor} link ${what} withdrawal ${i}`,
        model: (m) => m.decide(i, factor, decision, rightCode),
        run: async () => {
          const r = await channels.decide(real.tokens[factor], decision, decision === 'approve' ? matchCode : undefined);
          return r.status === 200 ? `200 ${r.body.factor}:${r.body.status}` : `${r.status} ${r.body.code}`;
        },
      };
    }

    /**
     * A code of a time step this customer has not used, inside the ±1 window for at least the next 30 s:
     * the first unused of the current step and the next. Two per customer whatever the clock does (one of
     * the two is always free while at most one was used), so a seed chooses them without looking at the time.
     */
    private freshCode(customer: number): string {
      const k = this.customers[customer];
      const step = [currentStep(), currentStep() + 1].find((s) => !k.usedSteps.includes(s))!;
      k.usedSteps.push(step);
      return totpForStep(k.c.totpSecret, step);
    }

    /** A code far outside the window (and unequal to every code inside it). */
    private wrongCode(secret: string): string {
      const now = currentStep();
      const near = new Set([-2, -1, 0, 1, 2, 3].map((d) => totpForStep(secret, now + d)));
      for (let d = 20; ; d++) {
        const code = totpForStep(secret, now + d);
        if (!near.has(code)) return code;
      }
    }

    private totpOp(i: number, kind: 'fresh' | 'wrong'): Op {
      const w = this.model.state.withdrawals[i];
      const customer = this.customers[w.customer].c;
      let code: string | undefined;
      const codeNow = () => (code ??= kind === 'fresh' ? this.freshCode(w.customer) : this.wrongCode(customer.totpSecret));
      return {
        describe: `customer ${w.customer} submits a ${kind} TOTP code for withdrawal ${i}`,
        model: (m) => m.totp(i, codeNow(), kind === 'fresh'),
        run: async () => {
          const r = await customer.client.post(`/v1/withdrawals/${this.real[i].id}/totp`, { code: codeNow() });
          return r.status === 200 ? `200 ${r.body.status}` : `${r.status} ${r.body.code}`;
        },
      };
    }

    private cancelOp(i: number): Op {
      const customer = this.customers[this.model.state.withdrawals[i].customer].c;
      return {
        describe: `customer cancels withdrawal ${i}`,
        model: (m) => m.cancel(i),
        run: async () => {
          const r = await customer.client.post(`/v1/withdrawals/${this.real[i].id}/cancel`);
          return r.status === 200 ? `200 ${r.body.status}` : `${r.status} ${r.body.code}`;
        },
      };
    }

    /** The clock passes the expiry; then the delayed job (delivered 1-3 times at once), a TOTP attempt or a link notices. */
    private expireOp(i: number, how: 'jobs' | 'totp' | 'link'): Op {
      const w = this.model.state.withdrawals[i];
      const unconsumed = (['email', 'push'] as const).filter((f) => !w.consumed[f]);
      if (how === 'link' && !unconsumed.length) how = 'jobs';
      const copies = this.rng.int(1, 3);
      const factor = how === 'link' ? this.rng.pick(unconsumed) : 'email';
      const then = how === 'totp' ? this.totpOp(i, 'wrong') : how === 'link' ? this.decideOp(i, factor, 'approve', true) : undefined;
      const id = () => this.real[i].id;
      return {
        describe: `time passes withdrawal ${i}'s expiry; ${how === 'jobs' ? `${copies} expiry job(s) run at once` : `then ${then!.describe}`}`,
        model: (m) => {
          m.passExpiry(i);
          if (then) return then.model(m);
          m.expire(i);
          return 'no answer';
        },
        run: async () => {
          await env.admin.query(`UPDATE withdrawals SET expires_at = now() - interval '1 second' WHERE id = $1 AND status = 'pending_confirmation'`, [
            id(),
          ]);
          if (then) return then.run();
          await Promise.all(
            Array.from({ length: copies }, (_, n) =>
              confirmations.add(
                'expire-withdrawal',
                new TestJobs(env).sign(QueueName.Confirmations, 'expire-withdrawal', `model-expire-${n}-${id()}`, { withdrawalId: id() }, 'api'),
                { jobId: `model-expire-${n}-${id()}`, attempts: 3 },
              ),
            ),
          );
          const customer = this.customers[w.customer].c;
          await waitUntil(
            async () => (await customer.client.get(`/v1/withdrawals/${id()}`)).body.status !== 'pending_confirmation',
            'expiry',
            10_000,
          );
          return 'no answer';
        },
      };
    }

    // ---- running and checking -------------------------------------------------------------------

    private async step(n: number, chosen: { ops: Op[]; mode: 'dup' | 'pair'; k: number }): Promise<void> {
      const before = this.model.state.withdrawals.length;
      const candidates: Candidate[] = [];
      let observed: string[];
      let description: string;
      if (chosen.mode === 'pair') {
        const [a, b] = chosen.ops;
        description = `RACE [${a.describe}] with [${b.describe}]`;
        for (const order of [
          [a, b],
          [b, a],
        ]) {
          const m = this.model.clone();
          const answers = new Map<Op, string>();
          for (const op of order) answers.set(op, op.model(m));
          candidates.push({ model: m, answers: [answers.get(a)!, answers.get(b)!] });
        }
        observed = await Promise.all([a.run(), b.run()]);
        count(figures.ops, 'race');
      } else {
        const [op] = chosen.ops;
        description = chosen.k > 1 ? `${op.describe} ×${chosen.k} at once` : op.describe;
        const m = this.model.clone();
        const answers = Array.from({ length: chosen.k }, () => op.model(m));
        candidates.push({ model: m, answers: answers.sort() });
        observed = (await Promise.all(Array.from({ length: chosen.k }, () => op.run()))).sort();
        count(
          figures.ops,
          op.describe
            .replace(/ ×.*/, '')
            .replace(/[0-9.]+/g, '#')
            .replace(/\(.*\)/, '')
            .replace(/;.*/, '')
            .trim(),
        );
      }
      for (const a of observed) count(figures.answers, a.replace(/ BUT.*/, ''));

      // Newly created withdrawals: their ids, match codes and the two challenge tokens the customer received.
      for (const candidate of candidates) {
        for (let i = before; i < candidate.model.state.withdrawals.length; i++) {
          const w = candidate.model.state.withdrawals[i];
          const made = this.created.get(w.key);
          if (!made || this.real[i]) continue;
          const [email, push] = await Promise.all([channels.emailToken(made.customer, made.id), channels.pushToken(made.customer, made.id)]);
          this.real[i] = { id: made.id, matchCode: made.matchCode, tokens: { email, push } };
        }
      }

      const entry = `step ${n}: ${description} → expected ${candidates.map((c) => JSON.stringify(c.answers)).join(' or ')}, observed ${JSON.stringify(observed)}`;
      this.log.push(entry);
      const mismatches: string[] = [];
      const seen = await this.observeDatabase();
      for (const [index, candidate] of candidates.entries()) {
        const problems = JSON.stringify(candidate.answers) === JSON.stringify(observed) ? this.diff(candidate.model, seen) : ['answers differ'];
        if (!problems.length) {
          this.model.state = candidate.model.state;
          if (chosen.mode === 'pair') figures.raceOrders[index === 0 ? 'first' : 'second']++;
          return;
        }
        mismatches.push(...problems.map((p) => `  candidate ${index}: ${p}`));
      }
      throw new Error(`${entry}\n${mismatches.join('\n')}`);
    }

    /**
     * What the ledger holds for this seed's customers and withdrawals, read in one statement (one snapshot):
     * balances as GET /v1/me/balances computes them, statuses and factors, and each withdrawal's transfers.
     */
    private async observeDatabase(): Promise<Observation> {
      const [row] = await env.admin.query(
        `SELECT
           (SELECT coalesce(json_agg(json_build_object('user', user_id, 'available', (credits_posted - debits_posted - debits_pending)::text,
                                                       'held', debits_pending::text)), '[]')
              FROM ledger_accounts WHERE kind = 'customer' AND asset = 'BTC' AND user_id = ANY($1)) AS balances,
           (SELECT coalesce(json_agg(json_build_object(
                     'id', w.id, 'status', w.status,
                     'factors', (SELECT json_object_agg(f.factor, f.status) FROM withdrawal_factors f WHERE f.withdrawal_id = w.id),
                     'holds', (SELECT count(*) FROM ledger_transfers t WHERE t.withdrawal_id = w.id AND t.kind = 'pending'),
                     'posts', (SELECT count(*) FROM ledger_transfers t WHERE t.withdrawal_id = w.id AND t.kind = 'post_pending'),
                     'voids', (SELECT count(*) FROM ledger_transfers t WHERE t.withdrawal_id = w.id AND t.kind = 'void_pending'))), '[]')
              FROM withdrawals w WHERE w.id = ANY($2::uuid[])) AS withdrawals`,
        [this.customers.map((k) => k.c.id), this.real.map((r) => r.id)],
      );
      const units = (text: string) => formatUnits(Math.round(Number(text) * 100));
      const observation: Observation = { balances: new Map(), withdrawals: new Map() };
      for (const b of row.balances) observation.balances.set(b.user, [{ asset: 'BTC', available: units(b.available), held: units(b.held) }]);
      for (const w of row.withdrawals) observation.withdrawals.set(w.id, w);
      return observation;
    }

    /** The same, as the customers see it over HTTP (transfers, which customers do not see, from the database). */
    private async observeHttp(): Promise<Observation> {
      const observation = await this.observeDatabase();
      for (const k of this.customers) observation.balances.set(k.c.id, (await k.c.client.get('/v1/me/balances')).body);
      for (const [i, w] of this.model.state.withdrawals.entries()) {
        const doc = (await this.customers[w.customer].c.client.get(`/v1/withdrawals/${this.real[i].id}`)).body;
        Object.assign(observation.withdrawals.get(this.real[i].id)!, { status: doc.status, factors: doc.factors });
      }
      return observation;
    }

    /** The differences between an observation and a model. */
    private diff(m: WithdrawalModel, seen: Observation): string[] {
      const problems: string[] = [];
      for (const [c, k] of this.customers.entries()) {
        const balances = seen.balances.get(k.c.id) ?? [];
        if (JSON.stringify(balances) !== JSON.stringify(m.balances(c))) {
          problems.push(`customer ${c} balances ${JSON.stringify(balances)}, model ${JSON.stringify(m.balances(c))}`);
        }
        for (const [i, w] of m.state.withdrawals.entries()) {
          if (w.customer !== c || !this.real[i]) continue;
          const o = seen.withdrawals.get(this.real[i].id);
          const factors = { email: o?.factors?.email, push: o?.factors?.push, totp: o?.factors?.totp };
          if (o?.status !== w.status || JSON.stringify(factors) !== JSON.stringify(w.factors)) {
            problems.push(`withdrawal ${i} is ${o?.status} ${JSON.stringify(factors)}, model ${w.status} ${JSON.stringify(w.factors)}`);
          }
          const want = { holds: 1, posts: w.status === 'posted' ? 1 : 0, voids: ['denied', 'expired', 'cancelled'].includes(w.status) ? 1 : 0 };
          const got = { holds: o?.holds, posts: o?.posts, voids: o?.voids };
          if (JSON.stringify(got) !== JSON.stringify(want))
            problems.push(`withdrawal ${i} (${w.status}) has transfers ${JSON.stringify(got)}, model ${JSON.stringify(want)}`);
        }
      }
      return problems;
    }

    private async finish(): Promise<void> {
      const http = this.diff(this.model, await this.observeHttp());
      if (http.length) throw new Error(`after the last step, over HTTP:\n  ${http.join('\n  ')}`);
      const faults = await ledgerFaults(env.admin);
      if (faults.length) throw new Error(`ledger verification after the last step: ${JSON.stringify(faults)}`);
      for (const [i, w] of this.model.state.withdrawals.entries()) {
        const customer = this.customers[w.customer];
        count(figures.finalStatuses, w.status);
        const subject = OUTCOME_SUBJECT[w.status];
        if (subject && this.real[i]) {
          const id = this.real[i].id;
          await env.smtp.waitFor(
            (mail) => sentTo(mail, customer.c.email) && subject.test(mail.subject ?? '') && (mail.text ?? '').includes(id),
            10_000,
          );
          expectedOutcomeMails.push({ email: customer.c.email, id, subject });
        }
        if (w.status === 'posted' && !(await posted.getJob(this.real[i].id)))
          throw new Error(`withdrawal ${i} posted but not published to withdrawals-posted`);
      }
    }
  }

  it(
    `agrees with the model after every step of every seed (seeds ${SEEDS.length > 1 ? `1..${SEEDS.length}` : SEEDS[0]})`,
    async () => {
      const started = Date.now();
      const queue = [...SEEDS];
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, SEEDS.length) }, async () => {
          for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
            const run = new SeedRun(seed);
            try {
              await run.run();
              figures.seeds++;
            } catch (error) {
              figures.failures.push(
                `SEED ${seed} failed — replay alone with: SEED=${seed} npx jest test/ledger-model.e2e-spec.ts\n` +
                  `${run.log.join('\n')}\n${error instanceof Error ? error.message : String(error)}`,
              );
            }
          }
        }),
      );

      // Outcome emails: exactly one per posted, denied or expired withdrawal, however many deliveries.
      await replayer.settle(30_000);
      await new Promise((r) => setTimeout(r, 500));
      const duplicated = expectedOutcomeMails.filter(
        (e) => env.smtp.count((mail) => sentTo(mail, e.email) && e.subject.test(mail.subject ?? '') && (mail.text ?? '').includes(e.id)) !== 1,
      );
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `ledger-model: ${figures.seeds}/${SEEDS.length} seeds passed, ${figures.steps} random steps (+ setup deposits), ${seconds} s, ` +
          `${figures.requests} withdrawal requests, ${expectedOutcomeMails.length} outcome emails, ${replayer.replays.size} job replays\n` +
          `  final statuses ${JSON.stringify(figures.finalStatuses)}\n  race orders ${JSON.stringify(figures.raceOrders)}\n` +
          `  operations ${JSON.stringify(figures.ops)}\n` +
          `  answers ${JSON.stringify(figures.answers)}`,
      );
      expect(figures.failures).toEqual([]);
      expect(duplicated).toEqual([]);
      expect(await ledgerFaults(env.admin)).toEqual([]);
    },
    20 * 60_000,
  );
});
