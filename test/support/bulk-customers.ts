import { newTotpSecret, sealTotpSecret } from '@app/crypto';
import { TestEnvironment } from './test-suite';

export interface SeededCustomer {
  id: string;
  email: string;
  totpSecret: string;
  addressId: string;
}

/**
 * Enrolled customers written in bulk by the administrator, as createCustomerDirect writes one (verified
 * email, active TOTP sealed to the confirmation service, one push device, one usable address) and
 * credited through the ledger's own entry point.
 */
export async function seedCustomers(env: TestEnvironment, count: number, prefix: string, deposit = '10', batch = 500): Promise<SeededCustomer[]> {
  const customers: SeededCustomer[] = [];
  for (let from = 0; from < count; from += batch) {
    const rows = Array.from({ length: Math.min(batch, count - from) }, (_, k) => {
      const id = `${prefix}-${from + k}`;
      const subscription = env.push.newSubscription();
      const totpSecret = newTotpSecret();
      return {
        id,
        email: `${id}@example.test`,
        totpSecret,
        sealed: sealTotpSecret(totpSecret, env.env.TOTP_SEAL_PUBLIC_KEY),
        endpoint: subscription.endpoint,
        p256dh: subscription.keys.p256dh,
        auth: subscription.keys.auth,
        address: `bc1q${id.replace(/[^a-z0-9]/g, '')}${from + k}`,
      };
    });
    const col = (k: keyof (typeof rows)[number]) => rows.map((r) => r[k]);
    const inserted: { user_id: string; id: string }[] = await env.admin.query(
      `WITH d AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                    AS d(id, email, sealed, endpoint, p256dh, auth, address)),
            u AS (INSERT INTO users (id, email, email_verified_at) SELECT id, email, now() FROM d),
            t AS (INSERT INTO totp_enrolments (user_id, sealed_secret, status, activated_at) SELECT id, sealed, 'active', now() FROM d),
            p AS (INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) SELECT id, endpoint, p256dh, auth FROM d)
       INSERT INTO withdrawal_addresses (user_id, asset, network, address, label, usable_at)
         SELECT id, 'BTC', 'bitcoin', address, 'bench wallet', now() FROM d RETURNING user_id, id`,
      [col('id'), col('email'), col('sealed'), col('endpoint'), col('p256dh'), col('auth'), col('address')],
    );
    await env.admin.query(`SELECT ledger_credit_deposit(u, 'BTC', $2, 'dep-' || u) FROM unnest($1::text[]) u`, [col('id'), deposit]);
    const addressOf = new Map(inserted.map((r) => [r.user_id, r.id]));
    for (const r of rows) customers.push({ id: r.id, email: r.email, totpSecret: r.totpSecret, addressId: addressOf.get(r.id)! });
  }
  return customers;
}
