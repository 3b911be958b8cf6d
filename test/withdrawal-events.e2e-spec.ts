import { INestApplication } from '@nestjs/common';
import IORedis from 'ioredis';
import { redisConnection } from '@app/queue';
import { startExtraApi } from './support/client-address';
import { authenticatorCode, enrolCustomer } from './support/customer-factory';
import { problemCode } from './support/attack-kit';
import { SseClient } from './support/sse-client';
import { REDIS_URL } from './support/test-suite';
import { useSuite } from './support/use-suite';

/**
 * GET /v1/withdrawals/:id/events: the status document as Server-Sent Events, served by any API instance
 * (changes fan out through Redis), for the owner only, ended after a final status.
 */
describe('withdrawal status as Server-Sent Events', () => {
  const t = useSuite({ SSE_HEARTBEAT: '300ms' });
  let other: { app: INestApplication; baseUrl: string };
  const streams: SseClient[] = [];
  const stream = (baseUrl: string, id: string, bearer: string) => {
    const client = new SseClient(`${baseUrl}/v1/withdrawals/${id}/events`, bearer);
    streams.push(client);
    return client;
  };

  beforeAll(async () => {
    other = await startExtraApi(t.env);
  });
  afterAll(async () => {
    await Promise.all(streams.map((s) => s.close()));
    await other?.app.close();
  });

  it('an instance that took none of the confirmations streams each change, and `posted` within a second of the last one; then the stream ends', async () => {
    const alice = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(alice, '0.2')).body;
    const sse = stream(other.baseUrl, w.id, String(alice.client.bearer));
    expect(await sse.open()).toEqual({ status: 200 });
    expect(sse.contentType).toMatch(/^text\/event-stream/);
    await sse.until(() => sse.events.length === 1, 'the first document');
    expect(sse.events[0]).toMatchObject({ event: 'status', data: { id: w.id, status: 'pending_confirmation', matchCode: w.matchCode } });

    // Every confirmation goes to the first instance.
    expect((await t.channels.approveEmail(alice, w.id, w.matchCode)).status).toBe(200);
    await sse.until(() => sse.events.some((e) => (e.data as { factors: { email: string } }).factors.email === 'approved'), 'email approved');
    expect((await t.channels.approvePush(alice, w.id, w.matchCode)).status).toBe(200);
    const code = await authenticatorCode(alice.totpSecret, 1);
    const lastConfirmation = Date.now();
    expect((await alice.client.post(`/v1/withdrawals/${w.id}/totp`, { code })).status).toBe(200);
    await sse.until(() => sse.statuses().includes('posted'), 'posted');
    const posted = sse.events.find((e) => (e.data as { status: string }).status === 'posted')!;
    const latencyMs = posted.at - lastConfirmation;
    process.stdout.write(`withdrawal-events: posted reached the other instance's stream ${latencyMs} ms after the last confirmation was sent\n`);
    expect(latencyMs).toBeLessThan(5_000); // generous: the figure itself is printed (and measured by npm run bench)
    await sse.until(() => sse.ended, 'the end of the stream after a final status');
    expect(new Set(sse.events.map((e) => JSON.stringify(e.data))).size).toBe(sse.events.length); // never the same document twice
  });

  it('keeps the stream open with heartbeat comments while nothing changes', async () => {
    const bob = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(bob, '0.2')).body;
    const sse = stream(t.suite.baseUrl, w.id, String(bob.client.bearer));
    await sse.open();
    await sse.until(() => sse.comments >= 3, 'three heartbeats');
    expect(sse.events).toHaveLength(1);
    expect(sse.ended).toBe(false);
  });

  it('answers another customer 404 not_found, and an unknown id the same, without opening a stream', async () => {
    const owner = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const intruder = await enrolCustomer(t.env, t.suite.baseUrl);
    const w = (await t.channels.requestWithdrawal(owner, '0.2')).body;
    for (const [id, bearer] of [
      [w.id, String(intruder.client.bearer)],
      ['00000000-0000-4000-8000-000000000000', String(owner.client.bearer)],
    ]) {
      const sse = stream(t.suite.baseUrl, id, bearer);
      const answer = await sse.open();
      expect([answer.status, (answer.body as { code: string }).code]).toEqual([404, 'not_found']);
    }
    const anonymous = await fetch(`${t.suite.baseUrl}/v1/withdrawals/${w.id}/events`);
    expect(anonymous.status).toBe(401);
    expect(problemCode({ status: 401, headers: anonymous.headers, body: await anonymous.json() })).toBe('unauthorized');
  });

  it('a message forged into the change channel only makes the stream look again: nothing new is sent', async () => {
    const carol = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(carol, '0.2')).body;
    const sse = stream(t.suite.baseUrl, w.id, String(carol.client.bearer));
    await sse.open();
    await sse.until(() => sse.events.length === 1, 'the first document');
    const redis = new IORedis(redisConnection(REDIS_URL));
    try {
      for (let i = 0; i < 20; i++) await redis.publish(`${t.env.id}:withdrawal-changes`, w.id);
    } finally {
      redis.disconnect();
    }
    await sse.until(() => sse.comments >= 2, 'two heartbeats');
    expect(sse.events).toHaveLength(1);
  });
});
