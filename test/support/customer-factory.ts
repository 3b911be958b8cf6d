import { randomBytes } from 'node:crypto';
import { ApiClient } from './api-client';
import { sentTo } from './smtp-catcher';
import { oathtoolCode } from './oathtool';
import { registerPasskey, SoftwareAuthenticator } from './passkey-authenticator';
import { TestEnvironment } from './test-suite';

export interface TestCustomer {
  id: string;
  email: string;
  client: ApiClient;
  totpSecret: string;
  subscriptions: { endpoint: string; keys: { p256dh: string; auth: string } }[];
  addressId: string;
  address: string;
}

const STEP_MS = 30_000;

/**
 * An authenticator's code for the step `offset` steps from now, computed by oathtool. Waits out the last
 * second and a half of a step so that the code is still inside the ±1 window when the server checks it;
 * distinct offsets give distinct steps, so one customer can use several codes in a row without replay.
 */
export async function authenticatorCode(secret: string, offset = 0): Promise<string> {
  // A code of the previous step stays good only to the end of this one: with less than 5 s left (a loaded CI
  // machine may take that long to carry the request to the confirmation service), wait for the next step.
  // Codes of this step or a later one stay good a step longer: the old 1.5 s margin does.
  const intoStep = Date.now() % STEP_MS;
  if (intoStep > STEP_MS - (offset < 0 ? 5000 : 1500)) await new Promise((r) => setTimeout(r, STEP_MS - intoStep + 50));
  return oathtoolCode(secret, new Date(Date.now() + offset * STEP_MS));
}

export function linkIn(text: string, path: string): string {
  const match = new RegExp(`https?://[^\\s"<>]+/${path}/([A-Za-z0-9_-]+)`).exec(text);
  if (!match) throw new Error(`no /${path}/ link in the message`);
  return match[0];
}

export function tokenOf(link: string): string {
  return link.slice(link.lastIndexOf('/') + 1);
}

export interface EnrolmentOptions {
  deposit?: string;
  asset?: string;
  devices?: number;
  id?: string;
  /** The address to verify; by default one derived from the id, or a random one when the id cannot be part of an address. */
  email?: string;
  /** Push subscriptions to register instead of `devices` fresh ones. */
  subscriptions?: TestCustomer['subscriptions'];
  /** Absolute TOTP steps for the activation and address codes; by default the steps just before and at now. */
  activationStep?: number;
  addressStep?: number;
  /** A passkey to register, before TOTP is active (afterwards it would need a code of its own). */
  passkey?: SoftwareAuthenticator;
}

export interface EnrolledCustomer extends TestCustomer {
  /** The codes that activated the enrolment and added the address: both consumed. */
  activationCode: string;
  addressCode: string;
}

/** oathtool's code for an absolute 30-second step (computed one second into the step). */
export function codeForStep(secret: string, step: number): string {
  return oathtoolCode(secret, new Date(step * STEP_MS + 1000));
}

/** A customer set up through the public API exactly as a frontend would: email, TOTP, push devices, an address, funds. */
export async function enrolCustomer(env: TestEnvironment, baseUrl: string, options: EnrolmentOptions = {}): Promise<EnrolledCustomer> {
  const id = options.id ?? `cust-${randomBytes(5).toString('hex')}`;
  const email = options.email ?? (/^[A-Za-z0-9._-]{1,60}$/.test(id) ? `${id}@example.test` : `cust-${randomBytes(6).toString('hex')}@example.test`);
  const client = new ApiClient(baseUrl, await env.token(id));
  const expect = (r: { status: number; body: unknown }, status: number, what: string) => {
    if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  };

  expect(await client.call('PUT', '/v1/me/email', { body: { email } }), 202, 'set email');
  const verification = await env.smtp.waitFor((m) => sentTo(m, email) && /Verify/.test(m.subject ?? ''));
  expect(
    await new ApiClient(baseUrl).post('/v1/email-verifications', { token: tokenOf(linkIn(verification.text ?? '', 'verify-email')) }),
    204,
    'verify email',
  );

  // Devices first: before an authenticator is active, registering one needs no code (afterwards it would).
  const subscriptions = options.subscriptions ?? Array.from({ length: options.devices ?? 1 }, () => env.push.newSubscription());
  for (const subscription of subscriptions) {
    expect(await client.post('/v1/me/push-subscriptions', subscription), 201, 'register push device');
  }

  if (options.passkey) expect(await registerPasskey(client, options.passkey), 201, 'register passkey');

  const enrolment = await client.post('/v1/me/totp');
  expect(enrolment, 201, 'enrol totp');
  const totpSecret: string = enrolment.body.secret;
  const code = (step: number | undefined, offset: number) =>
    step === undefined ? authenticatorCode(totpSecret, offset) : Promise.resolve(codeForStep(totpSecret, step));
  const activationCode = await code(options.activationStep, -1);
  expect(await client.post('/v1/me/totp/activate', { code: activationCode }), 204, 'activate totp');

  const asset = options.asset ?? 'BTC';
  const address = `bc1q${randomBytes(16).toString('hex')}`;
  let addressCode: string;
  const added = await client.post('/v1/me/addresses', {
    asset,
    network: 'bitcoin',
    address,
    label: 'test wallet',
    totpCode: (addressCode = await code(options.addressStep, 0)),
  });
  expect(added, 201, 'add address');

  if (options.deposit) {
    const operator = env.operator(baseUrl);
    const deposit = await operator.post('/v1/admin/deposits', {
      userId: id,
      asset,
      amount: options.deposit,
      reference: `dep-${randomBytes(8).toString('hex')}`,
    });
    expect(deposit, 201, 'deposit');
  }
  return { id, email, client, totpSecret, subscriptions, addressId: added.body.id, address, activationCode, addressCode };
}
