import { QueueName, redisConnection } from '@app/queue';
import { Queue } from 'bullmq';
import { ParsedMail } from 'mailparser';
import { ApiClient } from './support/api-client';
import { problemCode, waitUntil } from './support/attack-kit';
import { authenticatorCode, enrolCustomer, linkIn, tokenOf } from './support/customer-factory';
import { approveWithPasskey, expectedPasskeyChallenge, SoftwareAuthenticator, withdrawalDigest } from './support/passkey-authenticator';
import { redisKeysContaining, tablesContaining } from './support/secret-search';
import { sentTo } from './support/smtp-catcher';
import { REDIS_URL } from './support/test-suite';
import { useSuite } from './support/use-suite';
import { walletAccepts, walletAcceptsPasskey } from './support/wallet';

const answer = (r: { status: number; body: unknown }) => `${r.status} ${problemCode(r as never) ?? ''}`.trim();

describe('passkeys: approval, the wallet, management', () => {
  const t = useSuite({ PUBLIC_BASE_URL: 'http://localhost:{port}', WEBAUTHN_RP_ID: 'localhost' });
  let posted: Queue;
  beforeAll(() => {
    posted = new Queue(QueueName.WithdrawalsPosted, { connection: redisConnection(REDIS_URL), prefix: t.env.id });
  });
  afterAll(async () => {
    await posted?.close();
  });

  it('a withdrawal approved with a passkey posts; its withdrawals-posted job carries the assertion, which the wallet verifies with node:crypto alone', async () => {
    const passkey = new SoftwareAuthenticator(t.suite.baseUrl);
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '2', passkey });
    expect((await customer.client.get('/v1/me/security')).body).toMatchObject({ passkeys: 1, antiPhishingCode: false });
    const [listed] = (await customer.client.get('/v1/me/passkeys')).body;
    expect(listed).toEqual({ id: expect.any(String), label: 'test passkey', createdAt: expect.any(String), lastUsedAt: null });

    const w = (await t.channels.requestWithdrawal(customer, '0.4')).body;
    expect((await t.channels.approveEmail(customer, w.id, w.matchCode)).status).toBe(200);
    const token = await t.channels.pushToken(customer, w.id);
    expect(answer(await approveWithPasskey(t.suite.baseUrl, token, w.matchCode, passkey))).toBe('200');
    expect((await t.channels.submitTotp(customer, w.id)).status).toBe(200);
    await t.channels.waitForStatus(customer, w.id, 'posted');

    // The job as the wallet takes it from Redis.
    await waitUntil(async () => (await posted.getJob(w.id)) !== undefined, 10_000, 'the withdrawals-posted job');
    const job = (await posted.getJob(w.id))!;
    const data = job.data as Record<string, any>;
    expect(walletAccepts(job, t.env.keys.confirmerSigning.publicKey)).toBe(true);
    const expected = { rpId: 'localhost', origins: [t.suite.baseUrl] };
    expect(walletAcceptsPasskey(data, expected)).toBe(true);
    const digest = withdrawalDigest({ userId: customer.id, asset: 'BTC', network: 'bitcoin', amount: '0.4', fee: '0', address: customer.address });
    expect(data.passkey).toMatchObject({ credentialId: passkey.id, digest: digest.toString('hex') });
    expect(JSON.parse(Buffer.from(data.passkey.clientDataJSON, 'base64url').toString()).challenge).toBe(
      expectedPasskeyChallenge(digest, data.passkey.challengeId),
    );

    // What the customer did not sign, the wallet refuses: another amount, another destination, another origin.
    expect(walletAcceptsPasskey({ ...data, amount: '250' }, expected)).toBe(false);
    expect(walletAcceptsPasskey({ ...data, address: 'bc1qattackerattackerattackerattacker' }, expected)).toBe(false);
    expect(walletAcceptsPasskey(data, { ...expected, origins: ['https://countersign-login.example'] })).toBe(false);
    const other = new SoftwareAuthenticator(t.suite.baseUrl);
    expect(walletAcceptsPasskey({ ...data, passkey: { ...data.passkey, publicKey: other.coseKey().toString('base64url') } }, expected)).toBe(false);

    expect((await customer.client.get('/v1/me/passkeys')).body[0].lastUsedAt).toEqual(expect.any(String));
  });

  it('adding a passkey is announced on the old channels with a "this wasn\'t me" link; removing one needs a TOTP code and is announced too', async () => {
    const passkey = new SoftwareAuthenticator(t.suite.baseUrl);
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { passkey, devices: 2 });
    const notices = () => t.env.smtp.messages.filter((m) => sentTo(m, customer.email) && /passkeys of your account changed/i.test(m.subject ?? ''));
    await waitUntil(() => notices().length === 1, 10_000, 'the notice of the new passkey');
    expect(linkIn(notices()[0].text ?? '', 'security-notice')).toBeTruthy();
    const [{ id }] = (await customer.client.get('/v1/me/passkeys')).body;

    expect(answer(await customer.client.call('DELETE', `/v1/me/passkeys/${id}`, { body: {} }))).toBe('422 invalid_code');
    expect((await customer.client.get('/v1/me/passkeys')).body).toHaveLength(1);
    const removed = await customer.client.call('DELETE', `/v1/me/passkeys/${id}`, {
      body: { totpCode: await authenticatorCode(customer.totpSecret, 1) },
    });
    expect(removed.status).toBe(204);
    expect((await customer.client.get('/v1/me/passkeys')).body).toHaveLength(0);
    await waitUntil(() => notices().length === 2, 10_000, 'the notice of the removal');
    await t.env.push.waitFor((m) => m.endpoint === customer.subscriptions[1].endpoint && m.payload.change === 'passkey');
  });

  it('the OpenAPI document lists the passkey and anti-phishing paths', async () => {
    const doc = (await (await fetch(`${t.suite.baseUrl}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/me/passkeys/registration-options',
        '/v1/me/passkeys',
        '/v1/me/passkeys/{id}',
        '/v1/confirmations/passkey-options',
        '/v1/me/anti-phishing-code',
        '/examples/frontend.html',
      ]),
    );
  });
});

describe('the anti-phishing code', () => {
  const t = useSuite();
  const CODE = 'Blue Harbour 7';

  it('is in every email and every push of a full run, and on the confirmation pages', async () => {
    const id = `apc-${Date.now().toString(36)}`;
    const first = `${id}@example.test`;
    const second = `${id}-new@example.test`;
    const client = new ApiClient(t.suite.baseUrl, await t.env.token(id));
    const verify = async (address: string) => {
      const mail = await t.env.smtp.waitFor((m) => sentTo(m, address) && /Verify/.test(m.subject ?? ''));
      expect(
        (await new ApiClient(t.suite.baseUrl).post('/v1/email-verifications', { token: tokenOf(linkIn(mail.text ?? '', 'verify-email')) })).status,
      ).toBe(204);
      return mail;
    };
    expect((await client.call('PUT', '/v1/me/email', { body: { email: first } })).status).toBe(202);
    await verify(first);
    const device = t.env.push.newSubscription();
    expect((await client.post('/v1/me/push-subscriptions', device)).status).toBe(201);
    await t.env.smtp.waitFor((m) => sentTo(m, first) && /devices that confirm/.test(m.subject ?? ''));

    // From here on, every message carries the code.
    const mailsBefore = t.env.smtp.messages.length;
    const pushesBefore = t.env.push.messages.length;
    expect((await client.call('PUT', '/v1/me/anti-phishing-code', { body: { code: CODE } })).status).toBe(204);
    expect((await client.get('/v1/me/security')).body).toMatchObject({ antiPhishingCode: true });
    expect(JSON.stringify((await client.get('/v1/me/security')).body)).not.toContain(CODE);

    expect((await client.call('PUT', '/v1/me/email', { body: { email: second } })).status).toBe(202);
    await verify(second);
    const enrolment = await client.post('/v1/me/totp');
    const secret: string = enrolment.body.secret;
    expect((await client.post('/v1/me/totp/activate', { code: await authenticatorCode(secret, -1) })).status).toBe(204);
    const address = `bc1q${Date.now().toString(16)}aaaaaaaaaaaaaaaaaaaa`;
    const added = await client.post('/v1/me/addresses', {
      asset: 'BTC',
      network: 'bitcoin',
      address,
      label: 'mine',
      totpCode: await authenticatorCode(secret, 0),
    });
    expect(added.status).toBe(201);
    expect(
      (await t.env.operator(t.suite.baseUrl).post('/v1/admin/deposits', { userId: id, asset: 'BTC', amount: '1', reference: `dep-${id}` })).status,
    ).toBe(201);
    const customer = { id, email: second, client, totpSecret: secret, subscriptions: [device], addressId: added.body.id, address };

    // A withdrawal through all three channels; the pages show the code under the Countersign bar.
    const w = (await t.channels.requestWithdrawal(customer, '0.25')).body;
    const emailToken = await t.channels.emailToken(customer, w.id);
    const pushToken = await t.channels.pushToken(customer, w.id);
    for (const token of [emailToken, pushToken]) {
      const page = await t.channels.openPage(token);
      expect(page.html).toContain(`Your anti-phishing code: <strong>${CODE}</strong>`);
      expect(page.html.indexOf('anti-phishing')).toBeLessThan(page.html.indexOf('<main'));
    }
    expect((await t.channels.decide(emailToken, 'approve', w.matchCode)).status).toBe(200);
    expect((await t.channels.decide(pushToken, 'approve', w.matchCode)).status).toBe(200);
    expect((await t.channels.submitTotp(customer, w.id, 1)).status).toBe(200);
    await t.channels.waitForStatus(customer, w.id, 'posted');
    // A second one, stopped with "This wasn't me": its denial and the security alert are mailed too.
    const w2 = (await t.channels.requestWithdrawal(customer, '0.1')).body;
    expect((await t.channels.decide(await t.channels.emailToken(customer, w2.id), 'deny')).status).toBe(200);

    const mine = (m: ParsedMail) => sentTo(m, first) || sentTo(m, second);
    await t.env.smtp.waitFor((m) => mine(m) && /Security alert/.test(m.subject ?? ''));
    await t.env.smtp.waitFor((m) => mine(m) && /stopped/.test(m.subject ?? '') && (m.text ?? '').includes(w2.id));
    await t.env.smtp.waitFor((m) => mine(m) && /confirmed and sent/.test(m.subject ?? ''));
    const mails = t.env.smtp.messages.slice(mailsBefore).filter(mine);
    const subjects = mails.map((m) => m.subject ?? '');
    for (const kind of [
      /anti-phishing code changed/,
      /Verify/,
      /email address/,
      /authenticator/,
      /withdrawal addresses/,
      /Confirm your withdrawal/,
      /confirmed and sent/,
      /stopped/,
      /Security alert/,
    ]) {
      expect(subjects.some((s) => kind.test(s))).toBe(true);
    }
    for (const mail of mails) {
      expect([mail.subject, (mail.text ?? '').split('\n')[0]]).toEqual([mail.subject, `Your anti-phishing code: ${CODE}`]);
      expect(mail.html).toContain(CODE);
    }
    const pushes = t.env.push.messages.slice(pushesBefore).filter((m) => m.endpoint === device.endpoint);
    expect(pushes.map((p) => p.payload.type)).toEqual(expect.arrayContaining(['security-notice', 'withdrawal-confirmation']));
    for (const push of pushes) expect(push.payload.antiPhishingCode).toBe(CODE);

    // The pages the notices and the verification link open show it too.
    const noticeMail = mails.find((m) => /anti-phishing code changed/.test(m.subject ?? ''))!;
    const noticePage = await (await fetch(linkIn(noticeMail.text ?? '', 'security-notice'))).text();
    expect(noticePage).toContain(`Your anti-phishing code: <strong>${CODE}</strong>`);
    const verificationMail = mails.find((m) => /Verify/.test(m.subject ?? ''))!;
    const verificationPage = await (await fetch(linkIn(verificationMail.text ?? '', 'verify-email'))).text();
    expect(verificationPage).toContain(`Your anti-phishing code: <strong>${CODE}</strong>`);

    // Changing it now needs a TOTP code; without one nothing changes.
    const refused = await client.call('PUT', '/v1/me/anti-phishing-code', { body: { code: 'phisher choice' } });
    expect(answer(refused)).toBe('422 invalid_code');
    const page = await t.channels.openPage(pushToken);
    expect(page.html).toContain(CODE);

    // Stored in its own table, and nowhere else: no job, no Redis key, no audit entry, no outbox row.
    expect(await tablesContaining(t.env, CODE)).toEqual(['anti_phishing_codes']);
    expect(await redisKeysContaining(t.env, CODE)).toEqual([]);
  });
});
