import { buildPushRequest } from '@app/crypto/push-encryption';
import { createTransport } from 'nodemailer';
import { generateVAPIDKeys } from 'web-push';
import { oathtoolCode } from './oathtool';
import { TestPushService } from './push-service';
import { SmtpCatcher } from './smtp-catcher';

describe('SmtpCatcher', () => {
  const smtp = new SmtpCatcher();
  beforeAll(() => smtp.start());
  afterAll(() => smtp.stop());

  it('receives and parses a mail sent over SMTP', async () => {
    const transport = createTransport(smtp.url);
    await transport.sendMail({
      from: 'Countersign <no-reply@countersign.test>',
      to: 'alice@example.com',
      subject: 'Confirm your withdrawal',
      text: 'Open https://confirm.test/c/abc to confirm.',
    });
    const mail = await smtp.waitFor((m) => m.subject === 'Confirm your withdrawal');
    expect(mail.text).toContain('https://confirm.test/c/abc');
    expect(mail.from?.value[0].address).toBe('no-reply@countersign.test');
    expect(smtp.count((m) => m.subject === 'Confirm your withdrawal')).toBe(1);
  });

  it('rejects waitFor with a clear error on timeout', async () => {
    await expect(smtp.waitFor((m) => m.subject === 'never', 50)).rejects.toThrow(/SmtpCatcher: no matching mail within 50 ms/);
  });
});

describe('TestPushService', () => {
  const push = new TestPushService();
  const vapid = { ...generateVAPIDKeys(), subject: 'mailto:ops@countersign.test' };
  beforeAll(() => push.start());
  afterAll(() => push.stop());

  const send = (request: ReturnType<typeof buildPushRequest>) =>
    fetch(request.endpoint, { method: 'POST', headers: request.headers, body: request.body });

  it('verifies VAPID, decrypts and records a push', async () => {
    const subscription = push.newSubscription();
    const waiting = push.waitFor((m) => m.payload.id === 'w-1');
    const response = await send(buildPushRequest(subscription, JSON.stringify({ id: 'w-1', code: '42' }), vapid, 60));
    expect(response.status).toBe(201);
    const message = await waiting;
    expect(message).toMatchObject({ endpoint: subscription.endpoint, payload: { id: 'w-1', code: '42' } });
    expect(message.headers).toMatchObject({ ttl: '60', urgency: 'high', 'content-encoding': 'aes128gcm' });
  });

  it('answers a configured status (410 Gone) without recording', async () => {
    const subscription = push.newSubscription();
    push.respondWith(subscription.endpoint, 410);
    const response = await send(buildPushRequest(subscription, JSON.stringify({ id: 'gone' }), vapid, 60));
    expect(response.status).toBe(410);
    expect(push.messages.some((m) => m.endpoint === subscription.endpoint)).toBe(false);
  });

  it('refuses bad VAPID with 401 and unknown endpoints with 404', async () => {
    const subscription = push.newSubscription();
    const request = buildPushRequest(subscription, '{}', vapid, 60);
    // A JWT signed by another key pair, presented with our public key.
    const other = buildPushRequest(subscription, '{}', { ...vapid, ...generateVAPIDKeys() }, 60);
    const forged = other.headers.Authorization.replace(/k=.*/, `k=${vapid.publicKey}`);
    const response = await send({ ...request, headers: { ...request.headers, Authorization: forged } });
    expect(response.status).toBe(401);
    expect(push.rejected).toContainEqual(expect.objectContaining({ endpoint: subscription.endpoint, status: 401 }));

    const otherAudience = buildPushRequest({ ...subscription, endpoint: 'https://elsewhere.test/push/x' }, '{}', vapid, 60);
    expect((await send({ ...request, headers: otherAudience.headers })).status).toBe(401);

    expect((await send({ ...request, endpoint: `${push.origin}/push/unknown` })).status).toBe(404);
  });

  it('rejects waitFor with a clear error on timeout', async () => {
    await expect(push.waitFor(() => false, 50)).rejects.toThrow(/TestPushService: no matching push message within 50 ms/);
  });
});

describe('oathtoolCode', () => {
  it('matches RFC 6238 (SHA1, last 6 digits) at 59 s', () => {
    expect(oathtoolCode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', new Date(59_000))).toBe('287082');
  });
});
