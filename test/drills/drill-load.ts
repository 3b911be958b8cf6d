import { ParsedMail } from 'mailparser';
import { randomBytes } from 'node:crypto';
import { ApiClient } from '../support/api-client';
import { codeForStep, enrolCustomer, linkIn, TestCustomer, tokenOf } from '../support/customer-factory';
import { sleep } from '../support/ledger-checks';
import { PushMessage } from '../support/push-service';
import { DrillWorld } from './drill-world';

export type Factor = 'email' | 'push' | 'totp';

export interface DrillCustomer extends TestCustomer {
  /** TOTP steps this customer has used: each code is good once. */
  usedSteps: Set<number>;
  /** When the next withdrawal that needs a code may start. */
  nextCodeAt: number;
}

/** One withdrawal as its customer means to see it through. */
export interface Flow {
  id: string;
  customer: DrillCustomer;
  matchCode: string;
  /** 'three': confirms all three; 'two': leaves `missing` out (and maybe gives it later, `late`). */
  plan: 'three' | 'two';
  missing?: Factor;
  late: boolean;
  createdAt: number;
  /** When the customer saw the flow through: posted (three), or its two confirmations accepted (two). */
  settledAt?: number;
  /** When its challenge email and first push reached the customer. */
  emailAt?: number;
  pushAt?: number;
  /** What the customer was doing last: what it waited for, if the withdrawal ended under it. */
  stage: string;
  drill: string;
}

const STEP_MS = 30_000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/**
 * Customers withdrawing and confirming the way people do, on the real channels: the email's link, the
 * push's approval, an authenticator code. Every fourth withdrawal is confirmed on two channels only.
 * A customer whose answer is lost (5xx, no answer) tries again, as anyone would.
 */
export class DrillLoad {
  readonly customers: DrillCustomer[] = [];
  readonly flows: Flow[] = [];
  /** Every answer to a creation: when, and its status (0: no answer). */
  readonly creations: { at: number; status: number }[] = [];
  /** Things a customer met that must not happen (a dead link, a refusal that makes no sense). */
  readonly problems: string[] = [];
  /** How long each creation took to be answered 202, retries included. */
  readonly creationMs = new Map<string, number>();
  private readonly emails = new Map<string, ParsedMail[]>();
  private readonly pushes = new Map<string, PushMessage[]>();
  private seenMail = 0;
  private seenPush = 0;
  private indexer?: NodeJS.Timeout;
  private running = false;
  private loops: Promise<void>[] = [];
  private counter = 0;
  drill = '';
  /** Withdrawals confirmed on two channels only are made while this is true (not in a drill's last phase, so that they expire sooner). */
  twoChannelFlows = true;

  constructor(
    private readonly world: DrillWorld,
    private readonly settings: { customers: number; challengeWaitMs: number; log: (line: string) => void },
  ) {}

  get base(): string {
    return this.world.baseUrl;
  }

  async enrol(): Promise<void> {
    const batch = 4;
    for (let i = 0; i < this.settings.customers; i += batch) {
      const group = await Promise.all(
        Array.from({ length: Math.min(batch, this.settings.customers - i) }, (_, j) =>
          // Customer 0 has two devices: the 410 drill retires one of them, the other keeps working.
          enrolCustomer(this.world.env, this.base, {
            deposit: '100000',
            devices: i + j === 0 ? 2 : 1,
            id: `drill-${i + j}-${randomBytes(3).toString('hex')}`,
          }),
        ),
      );
      // Enrolment spent the activation and address steps.
      for (const c of group) {
        const used = new Set<number>();
        for (const code of [c.activationCode, c.addressCode]) {
          for (let s = Math.floor(Date.now() / STEP_MS) - 2; s <= Math.floor(Date.now() / STEP_MS) + 1; s++)
            if (codeForStep(c.totpSecret, s) === code) used.add(s);
        }
        this.customers.push({ ...c, usedSteps: used, nextCodeAt: 0 });
      }
    }
    this.indexer = setInterval(() => this.index(), 100);
  }

  /** Indexes what reached the SMTP peer and the push service, by withdrawal id. */
  private index(): void {
    const mail = this.world.env.smtp.messages;
    for (; this.seenMail < mail.length; this.seenMail++) {
      const m = mail[this.seenMail];
      if (!/Confirm your withdrawal/.test(m.subject ?? '')) continue;
      const id = UUID.exec(m.text ?? '')?.[0];
      if (id) this.emails.set(id, [...(this.emails.get(id) ?? []), m]);
    }
    const pushed = this.world.env.push.messages;
    for (; this.seenPush < pushed.length; this.seenPush++) {
      const p = pushed[this.seenPush];
      const id = typeof p.payload.withdrawalId === 'string' ? p.payload.withdrawalId : '';
      if (id) this.pushes.set(id, [...(this.pushes.get(id) ?? []), p]);
    }
  }

  emailsFor(id: string): ParsedMail[] {
    this.index();
    return this.emails.get(id) ?? [];
  }

  pushesFor(id: string): PushMessage[] {
    this.index();
    return this.pushes.get(id) ?? [];
  }

  start(): void {
    this.running = true;
    // Spread over one TOTP step, so that arrivals are steady from the first second rather than in bursts.
    const now = Date.now();
    this.customers.forEach((c, i) => {
      if (c.nextCodeAt < now) c.nextCodeAt = now + (i / this.customers.length) * STEP_MS;
    });
    this.loops = this.customers.map((c, i) => this.customerLoop(c, i));
  }

  /** No new withdrawals; resolves when every customer has seen the withdrawal in hand through (or given up on it). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  close(): void {
    clearInterval(this.indexer);
  }

  /**
   * Arrivals do not wait for service (an open loop): a customer starts a withdrawal when their authenticator
   * will have a fresh code for it (one every 30 s), whatever became of the previous ones — so an outage
   * builds a backlog, as it does in production. At most three of a customer's own are open at once.
   */
  private async customerLoop(c: DrillCustomer, i: number): Promise<void> {
    await sleep((i * 997) % 1000); // not all at once
    const open = new Set<Promise<void>>();
    while (this.running) {
      const n = this.counter;
      const plan: Flow['plan'] = n % 4 === 3 && this.twoChannelFlows ? 'two' : 'three';
      const missing: Factor | undefined = plan === 'two' ? (['totp', 'email', 'push'] as const)[Math.floor(n / 4) % 3] : undefined;
      // A code is spent per flow that gives one: no more such flows than the authenticator has codes for.
      if (open.size >= 3 || (missing !== 'totp' && Date.now() < c.nextCodeAt)) {
        await sleep(500);
        continue;
      }
      this.counter++;
      if (missing !== 'totp') c.nextCodeAt = Date.now() + STEP_MS;
      const flow = this.create(c, plan, missing)
        .then((f) => (f ? this.see(f) : undefined))
        .catch((error: unknown) => {
          this.problems.push(`customer ${c.id}: ${error instanceof Error ? error.message : String(error)}`);
        })
        .finally(() => open.delete(flow));
      open.add(flow);
      await sleep(500 + Math.random() * 1000);
    }
    await Promise.all(open);
  }

  hasFreshCode(c: DrillCustomer): boolean {
    return this.step(c) !== undefined;
  }

  private step(c: DrillCustomer): number | undefined {
    const now = Math.floor(Date.now() / STEP_MS);
    // Codes of the current or next step: still inside the ±1 window when the server checks them.
    return [now, now + 1].find((s) => !c.usedSteps.has(s));
  }

  /** Creates the withdrawal, trying again with the same idempotency key while the answer is lost. */
  private async create(c: DrillCustomer, plan: Flow['plan'], missing?: Factor): Promise<Flow | undefined> {
    const key = `drill-${randomBytes(6).toString('hex')}`;
    const createdAt = Date.now();
    for (let attempt = 0; ; attempt++) {
      let status: number;
      let body: any;
      try {
        const r = await c.client.post('/v1/withdrawals', { addressId: c.addressId, amount: '0.01' }, { 'idempotency-key': key });
        status = r.status;
        body = r.body;
      } catch {
        status = 0;
      }
      this.creations.push({ at: Date.now(), status });
      if (status === 202 || status === 200) {
        const flow: Flow = {
          id: body.id,
          customer: c,
          matchCode: body.matchCode,
          plan,
          missing,
          late: false,
          createdAt,
          stage: 'created',
          drill: this.drill,
        };
        this.flows.push(flow);
        this.creationMs.set(flow.id, Date.now() - createdAt);
        return flow;
      }
      if (status >= 400 && status < 500 && status !== 429) {
        this.problems.push(`creation refused: ${status} ${JSON.stringify(body)}`);
        return undefined;
      }
      if (!this.running && attempt > 60) {
        this.problems.push(`creation never answered (last ${status}) for ${c.id} key ${key}`);
        return undefined;
      }
      await sleep(1000);
    }
  }

  private async status(c: DrillCustomer, id: string): Promise<{ status: string; factors: Record<Factor, string> } | undefined> {
    try {
      const r = await c.client.get(`/v1/withdrawals/${id}`);
      return r.status === 200 ? r.body : undefined;
    } catch {
      return undefined;
    }
  }

  /** The flow's planned confirmations, then (three) its posting. */
  private async see(flow: Flow): Promise<void> {
    const factors: Factor[] = (['email', 'push', 'totp'] as const).filter((f) => f !== flow.missing);
    for (const factor of factors) if (!(await this.confirm(flow, factor))) return;
    if (flow.plan === 'two') {
      flow.settledAt = Date.now();
      return;
    }
    if (await this.waitPosted(flow)) flow.settledAt = Date.now();
  }

  /** Gives the late confirmation of a two-channel flow, then waits for its posting. */
  async confirmLate(flow: Flow): Promise<void> {
    if (!flow.missing) return;
    if (await this.confirm(flow, flow.missing)) await this.waitPosted(flow);
  }

  async waitPosted(flow: Flow, timeoutMs = 120_000): Promise<boolean> {
    flow.stage = `waiting for the posting (${((Date.now() - flow.createdAt) / 1000).toFixed(1)} s after creation)`;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const doc = await this.status(flow.customer, flow.id);
      if (doc?.status === 'posted') return true;
      if (doc && doc.status !== 'pending_confirmation') {
        this.problems.push(`${flow.id}: confirmed on all three channels, but ended ${doc.status}`);
        return false;
      }
      await sleep(250);
    }
    return false; // the checks say what is missing
  }

  /** One confirmation, as the customer gives it; true once the status document shows it approved. */
  private async confirm(flow: Flow, factor: Factor): Promise<boolean> {
    const c = flow.customer;
    let token: string | undefined;
    flow.stage = `waiting for the ${factor} challenge (${((Date.now() - flow.createdAt) / 1000).toFixed(1)} s after creation)`;
    if (factor !== 'totp') {
      token = await this.challenge(flow, factor);
      if (!token) return false;
    }
    flow.stage = `confirming ${factor} (${((Date.now() - flow.createdAt) / 1000).toFixed(1)} s after creation)`;
    const deadline = Date.now() + this.settings.challengeWaitMs;
    let lastCode: string | undefined;
    while (Date.now() < deadline) {
      let answer: { status: number; body: any } | undefined;
      try {
        if (token) answer = await new ApiClient(this.base).post('/v1/confirmations', { token, decision: 'approve', matchCode: flow.matchCode });
        else {
          const step = this.step(c);
          if (step === undefined) {
            await sleep(500);
            continue;
          }
          c.usedSteps.add(step);
          lastCode = codeForStep(c.totpSecret, step);
          answer = await c.client.post(`/v1/withdrawals/${flow.id}/totp`, { code: lastCode });
        }
      } catch {
        answer = undefined; // no answer: look at the status, then try again
      }
      if (answer?.status === 200) return true;
      const doc = await this.status(c, flow.id);
      if (doc?.factors?.[factor] === 'approved') return true;
      if (doc && doc.status !== 'pending_confirmation') return false;
      if (answer?.body?.code === 'token_invalid' && doc) {
        // The customer's link does not work although the withdrawal is open: a dead link.
        this.problems.push(`${flow.id}: the customer's ${factor} link is dead (token_invalid) while the withdrawal is open`);
        return false;
      }
      if (answer && answer.status >= 400 && answer.status < 500 && !['code_reused', 'code_invalid', 'rate_limited'].includes(answer.body?.code)) {
        this.problems.push(`${flow.id}: ${factor} refused ${answer.status} ${JSON.stringify(answer.body)}`);
        return false;
      }
      await sleep(1000);
    }
    this.problems.push(`${flow.id}: ${factor} confirmation not accepted within ${this.settings.challengeWaitMs} ms`);
    return false;
  }

  /** The token of the first challenge that reached the customer on this channel, while the withdrawal is open. */
  private async challenge(flow: Flow, factor: 'email' | 'push'): Promise<string | undefined> {
    const deadline = Date.now() + this.settings.challengeWaitMs;
    for (let i = 0; Date.now() < deadline; i++) {
      if (factor === 'email') {
        const [mail] = this.emailsFor(flow.id);
        if (mail) {
          flow.emailAt ??= Date.now();
          return tokenOf(linkIn(mail.text ?? '', 'confirm'));
        }
      } else {
        const [push] = this.pushesFor(flow.id);
        if (push) {
          flow.pushAt ??= Date.now();
          return String(push.payload.token);
        }
      }
      if (i % 20 === 19) {
        const doc = await this.status(flow.customer, flow.id);
        if (doc && doc.status !== 'pending_confirmation') return undefined; // ended before the challenge came: the checks judge it
      }
      await sleep(250);
    }
    return undefined;
  }
}
