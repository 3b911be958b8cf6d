import { newTotpSecret, sealTotpSecret } from '@app/crypto';
import { createHmac, randomBytes } from 'node:crypto';
import { ApiClient } from './api-client';
import { TestCustomer } from './customer-factory';
import { TestEnvironment } from './test-suite';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(text: string): Buffer {
  const bytes: number[] = [];
  let value = 0;
  let bits = 0;
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | BASE32.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  return Buffer.from(bytes);
}

/**
 * RFC 6238 TOTP (SHA-1, 6 digits, 30-second steps) for an absolute time step, written here from the RFC with
 * node:crypto: independent of the app's otplib, and in-process (no oathtool spawn) for tests that need
 * thousands of codes. Cross-checked against oathtool by the tests that use it.
 */
export function totpForStep(secretBase32: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

export const currentStep = (atMs = Date.now()) => Math.floor(atMs / 30_000);

/**
 * A customer whose set-up (verified email, active authenticator, one push device, one usable address) is
 * written straight into the test's database by the administrator, as a migration of existing customers
 * would: for tests about what happens after set-up that need hundreds of customers quickly. The TOTP
 * secret is sealed to the confirmation service exactly as the API seals it; no time step is used yet.
 * The enrolment flow itself is covered through the API by enrolCustomer and the tests that use it.
 */
export async function createCustomerDirect(
  env: TestEnvironment,
  baseUrl: string,
  id = `cust-${randomBytes(5).toString('hex')}`,
  options: { address?: string } = {},
): Promise<TestCustomer> {
  const email = `${id}@example.test`;
  const totpSecret = newTotpSecret();
  const subscription = env.push.newSubscription();
  // A chosen address lets many customers share one destination (the anomaly tests); by default each has its own.
  const address = options.address ?? `bc1q${randomBytes(16).toString('hex')}`;
  const [{ address_id }] = await env.admin.query(
    `WITH u AS (INSERT INTO users (id, email, email_verified_at) VALUES ($1, $2, now()) RETURNING id),
          t AS (INSERT INTO totp_enrolments (user_id, sealed_secret, status, activated_at) SELECT id, $3, 'active', now() FROM u),
          p AS (INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) SELECT id, $4, $5, $6 FROM u)
     INSERT INTO withdrawal_addresses (user_id, asset, network, address, label, usable_at)
       SELECT id, 'BTC', 'bitcoin', $7, 'test wallet', now() FROM u RETURNING id AS address_id`,
    [
      id,
      email,
      sealTotpSecret(totpSecret, env.env.TOTP_SEAL_PUBLIC_KEY),
      subscription.endpoint,
      subscription.keys.p256dh,
      subscription.keys.auth,
      address,
    ],
  );
  return {
    id,
    email,
    client: new ApiClient(baseUrl, await env.token(id)),
    totpSecret,
    subscriptions: [subscription],
    addressId: address_id,
    address,
  };
}
