import { WithdrawalRepository } from '@app/database';
import { QueueName, WithdrawalChanges } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { queueIdle } from './support/attack-kit';
import { ApiClient } from './support/api-client';
import { enrolCustomer } from './support/customer-factory';
import { waitUntil } from './support/ledger-checks';
import { useSuite } from './support/use-suite';

/**
 * Status polls (issue 11): an unchanged withdrawal's document is served from the API's cache, kept
 * current by the change feed, so a poll needs no query — and the cache changes nothing else: owner-only,
 * and a change is seen on the next poll once the feed has told of it.
 */
describe('status document cache', () => {
  const t = useSuite();
  let queries = 0;

  beforeAll(() => {
    // The status document's read from Postgres (the API's only query for this route), counted; the API's
    // other work (its outbox relay's sweeps) is not what is measured.
    const repository = t.suite.api.get(WithdrawalRepository);
    const view = repository.view.bind(repository);
    jest.spyOn(repository, 'view').mockImplementation((...args) => {
      queries++;
      return view(...args);
    });
  });

  it('answers repeated polls (304 to the ETag, and 200) without a database query', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(c, '0.1')).body;
    await t.channels.challengeEmail(c, w.id);
    await t.channels.push(c, w.id);
    await queueIdle(t.suite.api.get<Queue>(getQueueToken(QueueName.Notifications))); // challenges sent and recorded: no change from here on
    await c.client.get(`/v1/withdrawals/${w.id}`); // read once from Postgres (and kept)
    const first = await c.client.get(`/v1/withdrawals/${w.id}`);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;

    const before = queries;
    for (let i = 0; i < 5; i++) {
      const poll = await c.client.get(`/v1/withdrawals/${w.id}`, { 'if-none-match': etag });
      expect([poll.status, poll.headers.get('etag')]).toEqual([304, etag]);
    }
    const again = await c.client.get(`/v1/withdrawals/${w.id}`);
    expect([again.status, again.body]).toEqual([200, first.body]);
    expect(queries - before).toBe(0);
  });

  it("is the owner's alone: another customer is not found, with or without the owner's ETag", async () => {
    const owner = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const other = await enrolCustomer(t.env, t.suite.baseUrl);
    const w = (await t.channels.requestWithdrawal(owner, '0.1')).body;
    const cached = await owner.client.get(`/v1/withdrawals/${w.id}`);
    const etag = cached.headers.get('etag')!;
    expect((await owner.client.get(`/v1/withdrawals/${w.id}`, { 'if-none-match': etag })).status).toBe(304);

    for (const headers of [{}, { 'if-none-match': etag }] as Record<string, string>[]) {
      const peek = await other.client.get(`/v1/withdrawals/${w.id}`, headers);
      expect([peek.status, peek.body.code, peek.headers.get('etag')]).toEqual([404, 'not_found', null]);
    }
    expect((await new ApiClient(t.suite.baseUrl).get(`/v1/withdrawals/${w.id}`, { 'if-none-match': etag })).status).toBe(401);
  });

  it('answers as every route does: problems for a bad token or id, the request id echoed, HEAD, the documented operation', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(c, '0.1')).body;
    const path = `/v1/withdrawals/${w.id}`;
    expect((await c.client.get(path)).status).toBe(200); // cached from here on: the refusals below are not the database's
    const token = c.client.bearer as string;
    const [header, payload, signature] = token.split('.');
    const forged = `${header}.${payload}.${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    const expired = await t.env.sign({ roles: [] }, { sub: c.id, lifetime: Math.floor(Date.now() / 1000) - 60 });
    for (const bearer of [forged, expired, 'not-a-token']) {
      const refused = await new ApiClient(t.suite.baseUrl, bearer).get(path);
      expect([refused.status, refused.body.code, refused.body.instance, refused.headers.get('etag')]).toEqual([401, 'unauthorized', path, null]);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    for (const id of ['not-a-uuid', `${w.id}0`, "1' OR '1'='1"]) {
      const missing = await c.client.get(`/v1/withdrawals/${encodeURIComponent(id)}`);
      expect([missing.status, missing.body.code]).toEqual([404, 'not_found']);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }

    const traced = await c.client.get(path, { 'x-request-id': 'poll-trace-0001' });
    expect([traced.status, traced.headers.get('x-request-id')]).toEqual([200, 'poll-trace-0001']);
    const head = await fetch(`${t.suite.baseUrl}${path}`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } });
    expect([head.status, head.headers.get('etag')]).toEqual([200, traced.headers.get('etag')]);

    const doc = (await (await fetch(`${t.suite.baseUrl}/docs-json`)).json()) as { paths: Record<string, Record<string, any>> };
    const operation = doc.paths['/v1/withdrawals/{id}']?.get;
    expect(Object.keys(operation?.responses ?? {}).sort()).toEqual(['200', '304', 'default']);
    expect(operation.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/WithdrawalStatusDocument' });
    expect(operation.security).toEqual([{ bearer: [] }]);
  });

  it('shows a change made by another app (an approval, the posting) once the change feed tells of it', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(c, '0.1')).body;
    const before = await c.client.get(`/v1/withdrawals/${w.id}`);
    expect(before.body.factors.email).toBe('pending');
    expect((await t.channels.approveEmail(c, w.id, w.matchCode)).status).toBe(200);
    let seen = before;
    await waitUntil(async () => {
      seen = await c.client.get(`/v1/withdrawals/${w.id}`, { 'if-none-match': before.headers.get('etag')! });
      return seen.status === 200;
    }, 'a new document after the approval');
    expect(seen.body.factors.email).toBe('approved');
    expect(seen.headers.get('etag')).not.toBe(before.headers.get('etag'));

    await t.channels.approvePush(c, w.id, w.matchCode);
    expect((await t.channels.submitTotp(c, w.id)).status).toBe(200);
    expect((await t.channels.waitForStatus(c, w.id, 'posted')).status).toBe('posted');
  });

  it('shows a decision it relayed on its very next poll, refusals that changed something too, though the change feed never tells', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const posted = (await t.channels.requestWithdrawal(c, '0.1')).body;
    const stopped = (await t.channels.requestWithdrawal(c, '0.2')).body;
    for (const w of [posted, stopped]) await t.channels.push(c, w.id);
    await queueIdle(t.suite.api.get<Queue>(getQueueToken(QueueName.Notifications))); // challenges sent and recorded
    const poll = async (id: string) => (await c.client.get(`/v1/withdrawals/${id}`)).body;
    for (const w of [posted, stopped]) expect((await poll(w.id)).factors).toEqual({ email: 'pending', push: 'pending', totp: 'pending' }); // cached

    // The confirmation service's announcements are lost, as when its publisher's connection is down.
    const announce = jest.spyOn(t.suite.confirmer!.get(WithdrawalChanges), 'announce').mockImplementation(() => undefined);
    try {
      expect((await t.channels.approveEmail(c, posted.id, posted.matchCode)).status).toBe(200);
      expect((await poll(posted.id)).factors.email).toBe('approved');
      expect((await t.channels.approvePush(c, posted.id, posted.matchCode)).status).toBe(200);
      expect((await poll(posted.id)).factors.push).toBe('approved');
      expect((await t.channels.submitTotp(c, posted.id)).status).toBe(200);
      expect(await poll(posted.id)).toMatchObject({ status: 'posted', factors: { totp: 'approved' } });

      // A wrong pick is refused (422) and denies the factor, which stops the withdrawal: the refusal changed it.
      const wrongCode = stopped.matchCode === '00' ? '01' : '00';
      const wrong = await t.channels.decide(await t.channels.pushToken(c, stopped.id), 'approve', wrongCode);
      expect([wrong.status, wrong.body.code]).toEqual([422, 'match_code_wrong']);
      expect(await poll(stopped.id)).toMatchObject({ status: 'denied', factors: { push: 'denied' } });
    } finally {
      announce.mockRestore();
    }
  });
});
