import { randomBytes } from 'node:crypto';
import { ApiClient } from './support/api-client';
import { linkIn, tokenOf, authenticatorCode } from './support/customer-factory';
import { sentTo } from './support/smtp-catcher';
import { InProcessSuite, TestEnvironment } from './support/test-suite';
describe('t', () => {
  const env = new TestEnvironment();
  let suite: InProcessSuite;
  beforeAll(async () => { await env.start({ PUBLIC_RATE_LIMIT_PER_MINUTE: '100000' }); suite = await new InProcessSuite(env).start(); });
  afterAll(async () => { await suite?.stop(); await env.stop(); });
  it('enrol timing', async () => {
    for (let i = 0; i < 4; i++) {
    const id = `c-${randomBytes(4).toString('hex')}`; const email = `${id}@example.test`;
    const client = new ApiClient(suite.baseUrl, await env.token(id));
    const t: number[] = [Date.now()];
    await client.call('PUT', '/v1/me/email', { body: { email } }); t.push(Date.now());
    const v = await env.smtp.waitFor((m) => sentTo(m, email)); t.push(Date.now());
    await new ApiClient(suite.baseUrl).post('/v1/email-verifications', { token: tokenOf(linkIn(v.text ?? '', 'verify-email')) }); t.push(Date.now());
    const e = await client.post('/v1/me/totp'); t.push(Date.now());
    const a = await client.post('/v1/me/totp/activate', { code: await authenticatorCode(e.body.secret, -1) }); t.push(Date.now());
    const s = await client.post('/v1/me/push-subscriptions', env.push.newSubscription()); t.push(Date.now());
    const ad = await client.post('/v1/me/addresses', { asset: 'BTC', network: 'bitcoin', address: 'bc1qxyz' + i, label: 'x', totpCode: await authenticatorCode(e.body.secret, 0) }); t.push(Date.now());
    console.log(t.slice(1).map((x, j) => x - t[j]).join(' '), a.status, s.status, ad.status);
    }
  });
});
