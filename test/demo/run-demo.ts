/**
 * `npm run demo`: the three apps as three processes on local Postgres and Redis, plus a simulated
 * customer — an in-process SMTP server for their mailbox, a push service that decrypts for their
 * browser, and TOTP codes computed like an authenticator — taking one withdrawal from request to ledger.
 */
const databaseUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/countersign');
process.env.TEST_POSTGRES_URL = `${databaseUrl.protocol}//${databaseUrl.username ? `${databaseUrl.username}${databaseUrl.password ? `:${databaseUrl.password}` : ''}@` : ''}${databaseUrl.host}`;
process.env.TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

import { totpCode } from '@app/crypto';
import { verifyLedger } from '@app/database';
import { QueueName, redisConnection } from '@app/queue';
import { Queue } from 'bullmq';
import { ApiClient } from '../support/api-client';
import { AppProcess } from '../support/app-processes';
import { linkIn, tokenOf } from '../support/customer-factory';
import { sentTo } from '../support/smtp-catcher';
import { TestEnvironment } from '../support/test-suite';

const started = Date.now();
const step = (text: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(2).padStart(6)}s] ${text}`);
const authenticator = (secret: string, offset: number) => totpCode(secret, Date.now() + offset * 30_000);

async function check<T extends { status: number; body: any }>(what: string, expected: number, call: Promise<T>): Promise<T> {
  const response = await call;
  if (response.status !== expected) throw new Error(`${what}: expected ${expected}, got ${response.status} ${JSON.stringify(response.body)}`);
  return response;
}

async function main(): Promise<void> {
  const env = new TestEnvironment();
  const apps: AppProcess[] = [];
  try {
    await env.start({ CONFIRMATION_WINDOW: '10m' });
    step(`database ${env.id} migrated (three roles, their grants, the ledger); queue prefix ${env.id}`);
    step(`SMTP server at ${env.smtp.url}; push service at ${env.push.origin}`);
    for (const name of ['api', 'notification-worker', 'confirmation-service'] as const) {
      apps.push(await new AppProcess(name, env.env).start());
      step(`${name} running as process ${apps[apps.length - 1].pid}`);
    }
    const base = env.env.PUBLIC_BASE_URL;
    const alice = new ApiClient(base, await env.token('alice'));
    const operator = env.operator(base);

    await check('set email', 202, alice.call('PUT', '/v1/me/email', { body: { email: 'alice@example.test' } }));
    const verification = await env.smtp.waitFor((m) => sentTo(m, 'alice@example.test'));
    step(`alice's mailbox: "${verification.subject}"`);
    await check(
      'verify email',
      204,
      new ApiClient(base).post('/v1/email-verifications', { token: tokenOf(linkIn(verification.text ?? '', 'verify-email')) }),
    );
    step('email verified by following the link');

    // The device before the authenticator: once TOTP is active, registering a device is a factor change that needs a code.
    const device = env.push.newSubscription();
    const vapid = (await alice.get('/v1/push/vapid-public-key')).body.publicKey;
    await check('register push device', 201, alice.post('/v1/me/push-subscriptions', device));
    step(`browser subscribed to push with VAPID key ${vapid.slice(0, 16)}…`);

    const enrolment = (await check('enrol TOTP', 201, alice.post('/v1/me/totp'))).body;
    step(`TOTP enrolment: ${enrolment.otpauthUri.replace(/secret=[A-Z2-7]+/, 'secret=…')}`);
    await check('activate TOTP', 204, alice.post('/v1/me/totp/activate', { code: authenticator(enrolment.secret, -1) }));
    step('authenticator activated with its first code (that code is now consumed)');

    const address = (
      await check(
        'add address',
        201,
        alice.post('/v1/me/addresses', {
          asset: 'BTC',
          network: 'bitcoin',
          address: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
          label: 'cold wallet',
          totpCode: authenticator(enrolment.secret, 0),
        }),
      )
    ).body;
    step(`withdrawal address added (usable at ${address.usableAt})`);
    await check('deposit', 201, operator.post('/v1/admin/deposits', { userId: 'alice', asset: 'BTC', amount: '1.5', reference: 'chain-tx-0001' }));
    step(`operator deposit: balances ${JSON.stringify((await alice.get('/v1/me/balances')).body)}`);

    const w = (
      await check('request withdrawal', 202, alice.post('/v1/withdrawals', { addressId: address.id, amount: '0.4' }, { 'idempotency-key': 'demo-1' }))
    ).body;
    step(`POST /v1/withdrawals → 202 ${w.status}, ${w.amount} ${w.asset} to ${w.address}; match code shown to alice: ${w.matchCode}`);
    step(`balances while pending: ${JSON.stringify((await alice.get('/v1/me/balances')).body)}`);

    const mail = await env.smtp.waitFor((m) => sentTo(m, 'alice@example.test') && (m.text ?? '').includes(w.id));
    const link = linkIn(mail.text ?? '', 'confirm');
    step(`email received over SMTP: "${mail.subject}" with link ${link.replace(/[^/]+$/, '…')}`);
    const page = await fetch(link);
    const choices = [...(await page.text()).matchAll(/<input type="radio" name="matchCode" value="([0-9]{2})">/g)].map((m) => m[1]);
    step(`confirmation page opened (${page.status}): choices ${choices.join(', ')}; alice picks ${w.matchCode}`);
    const email = await check(
      'approve email',
      200,
      new ApiClient(base).post('/v1/confirmations', { token: tokenOf(link), decision: 'approve', matchCode: w.matchCode }),
    );
    step(`email factor: ${JSON.stringify(email.body)}`);

    const push = await env.push.waitFor((m) => m.payload.withdrawalId === w.id);
    step(`push received and decrypted (RFC 8291): ${String(push.payload.amount)} ${String(push.payload.asset)} to ${String(push.payload.address)}`);
    const pushed = await check(
      'approve push',
      200,
      new ApiClient(base).post('/v1/confirmations', { token: push.payload.token, decision: 'approve', matchCode: w.matchCode }),
    );
    step(`push factor: ${JSON.stringify(pushed.body)}`);

    const totp = await check('TOTP', 200, alice.post(`/v1/withdrawals/${w.id}/totp`, { code: authenticator(enrolment.secret, 1) }));
    step(`TOTP code accepted: factors ${JSON.stringify(totp.body.factors)}`);

    let doc = totp.body;
    for (let i = 0; doc.status !== 'posted' && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      doc = (await alice.get(`/v1/withdrawals/${w.id}`)).body;
    }
    if (doc.status !== 'posted') throw new Error(`withdrawal ended ${doc.status}`);
    step(`withdrawal ${doc.status} at ${doc.postedAt}; balances ${JSON.stringify((await alice.get('/v1/me/balances')).body)}`);

    const posted = new Queue(QueueName.WithdrawalsPosted, { connection: redisConnection(env.env.REDIS_URL), prefix: env.id });
    const job = await posted.getJob(w.id);
    await posted.close();
    step(`job on withdrawals-posted for the wallet: ${JSON.stringify(job?.data)}`);
    const outcome = await env.smtp.waitFor((m) => sentTo(m, 'alice@example.test') && /confirmed and sent/.test(m.subject ?? ''));
    step(`outcome email: "${outcome.subject}"`);
    const faults = await verifyLedger(env.admin);
    step(faults.length ? `ledger verification FAILED: ${JSON.stringify(faults)}` : 'ledger verification: clean');
    if (faults.length) process.exitCode = 1;
  } finally {
    await Promise.all(apps.map((a) => a.stop()));
    await env.stop();
    step('stopped the apps; dropped the demo database and queue keys');
  }
}

main().catch((error) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
