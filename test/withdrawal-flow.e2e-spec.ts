import { QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { enrolCustomer } from './support/customer-factory';
import { sentTo } from './support/smtp-catcher';
import { useSuite } from './support/use-suite';
import { walletAccepts } from './support/wallet';

describe('a withdrawal from request to ledger (real Postgres, Redis, SMTP and push)', () => {
  const t = useSuite();

  it('posts once after email link, decrypted push and oathtool code; debits once; publishes once; mails the outcome', async () => {
    const alice = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1.5' });
    const requested = await t.channels.requestWithdrawal(alice, '0.4');
    expect([requested.status, requested.body.detail]).toEqual([202, undefined]);
    const w = requested.body;
    expect(w).toMatchObject({ status: 'pending_confirmation', asset: 'BTC', network: 'bitcoin', amount: '0.4', address: alice.address });
    expect(w.factors).toEqual({ email: 'pending', push: 'pending', totp: 'pending' });
    expect(w.matchCode).toMatch(/^[0-9]{2}$/);
    // The answer is the status document itself, as the withdrawal's first poll reads it.
    expect((await alice.client.get(`/v1/withdrawals/${w.id}`)).body).toEqual(w);
    expect((await alice.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '1.1', held: '0.4' }]);

    // Email: received over SMTP, its link followed to the page, which offers the match code among three.
    const emailToken = await t.channels.emailToken(alice, w.id);
    const page = await t.channels.openPage(emailToken);
    expect(page.status).toBe(200);
    expect(page.html).toContain(alice.address);
    expect(page.choices).toHaveLength(3);
    expect(page.choices).toContain(w.matchCode);
    expect((await t.channels.decide(emailToken, 'approve', w.matchCode)).body).toEqual({ factor: 'email', status: 'approved' });

    // Push: decrypted by the push service with the subscription's own keys, payload per the contract.
    const push = await t.channels.push(alice, w.id);
    expect(push.payload).toMatchObject({
      type: 'withdrawal-confirmation',
      withdrawalId: w.id,
      asset: 'BTC',
      network: 'bitcoin',
      amount: '0.4',
      address: alice.address,
      url: `${t.suite.baseUrl}/confirm/${String(push.payload.token)}`,
      expiresAt: w.expiresAt,
    });
    expect((await t.channels.decide(String(push.payload.token), 'approve', w.matchCode)).body).toEqual({ factor: 'push', status: 'approved' });
    expect((await alice.client.get(`/v1/withdrawals/${w.id}`)).body.status).toBe('pending_confirmation');

    // TOTP from oathtool, the independent client.
    const totp = await t.channels.submitTotp(alice, w.id);
    expect(totp.status).toBe(200);
    const done = await t.channels.waitForStatus(alice, w.id, 'posted');
    expect(done.factors).toEqual({ email: 'approved', push: 'approved', totp: 'approved' });
    expect(done.postedAt).not.toBeNull();

    expect((await alice.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '1.1', held: '0' }]);
    const [{ postings }] = await t.env.admin.query(
      `SELECT count(*)::int AS postings FROM ledger_transfers WHERE withdrawal_id = $1 AND kind = 'post_pending'`,
      [w.id],
    );
    expect(postings).toBe(1);

    const posted = t.suite.api.get<Queue>(getQueueToken(QueueName.WithdrawalsPosted));
    await waitUntil(async () => (await posted.getJobCounts('waiting')).waiting === 1);
    const job = await posted.getJob(w.id);
    const { signature, ...posting } = job!.data as Record<string, unknown>;
    const [postingTransfer] = await t.env.admin.query(`SELECT id::text FROM ledger_transfers WHERE withdrawal_id = $1 AND kind = 'post_pending'`, [
      w.id,
    ]);
    expect(posting).toEqual({
      withdrawalId: w.id,
      transferId: postingTransfer.id,
      userId: alice.id,
      asset: 'BTC',
      network: 'bitcoin',
      amount: '0.4',
      address: alice.address,
      postedAt: done.postedAt,
      fee: '0',
      // The id of the request that created the withdrawal (README, "Operating it").
      requestId: requested.headers.get('x-request-id'),
    });
    // Signed by the confirmation service: the wallet checks it with node:crypto alone, as the README shows.
    expect(signature).toMatchObject({ producer: 'confirmer' });
    expect(walletAccepts(job!, t.env.keys.confirmerSigning.publicKey)).toBe(true);
    expect(walletAccepts({ ...job!, data: { ...job!.data, amount: '250' } }, t.env.keys.confirmerSigning.publicKey)).toBe(false);

    const outcome = await t.env.smtp.waitFor((m) => sentTo(m, alice.email) && /confirmed and sent/.test(m.subject ?? ''));
    expect(outcome.text).toContain('0.4 BTC');
    expect(outcome.text).toContain(alice.address);
    await new Promise((r) => setTimeout(r, 500));
    expect(t.env.smtp.count((m) => sentTo(m, alice.email) && /confirmed and sent/.test(m.subject ?? ''))).toBe(1);
  });

  it('answers 304 to a poll with the current ETag, and 200 with a new one after a change', async () => {
    const bob = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(bob, '0.1')).body;
    const first = await bob.client.get(`/v1/withdrawals/${w.id}`);
    const etag = first.headers.get('etag')!;
    expect(etag).toBeTruthy();
    expect((await bob.client.get(`/v1/withdrawals/${w.id}`, { 'if-none-match': etag })).status).toBe(304);
    await t.channels.approveEmail(bob, w.id, w.matchCode);
    const changed = await bob.client.get(`/v1/withdrawals/${w.id}`, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.body.factors.email).toBe('approved');
    expect(changed.headers.get('etag')).not.toBe(etag);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
