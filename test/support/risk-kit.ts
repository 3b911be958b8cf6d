import { randomBytes } from 'node:crypto';
import { ApiClient, ApiResponse } from './api-client';
import { ConfirmationChannels } from './confirmation-channels';
import { TestCustomer } from './customer-factory';
import { createCustomerDirect, currentStep, totpForStep } from './direct-customer';
import { TestEnvironment } from './test-suite';

/**
 * Helpers for the risk-control tests: many fully enrolled customers quickly, withdrawals requested from a
 * chosen client address (X-Forwarded-For, the suite running with TRUST_PROXY=1: the header is all that
 * differs, every connection stays on loopback) and device, and all three confirmations given.
 */

/** Addresses from the documentation ranges (RFC 5737), as header values only: nothing is ever sent to them. */
export const DOC_IPS = {
  testNet1: (n: number) => `192.0.2.${n}`,
  testNet2: (n: number) => `198.51.100.${n}`,
  testNet3: (n: number) => `203.0.113.${n}`,
};

/** A customer set up directly (verified email, active TOTP, one push device, one address) and credited. */
export async function fundedCustomer(
  env: TestEnvironment,
  baseUrl: string,
  options: { address?: string; deposit?: string; id?: string } = {},
): Promise<TestCustomer> {
  const customer = await createCustomerDirect(env, baseUrl, options.id ?? `cust-${randomBytes(5).toString('hex')}`, { address: options.address });
  // The administrator credits through the ledger's own entry point, as the confirmation service does for an operator.
  await env.admin.query(`SELECT * FROM ledger_credit_deposit($1, 'BTC', $2, $3)`, [customer.id, options.deposit ?? '10', `dep-${customer.id}`]);
  return customer;
}

export interface RequestOptions {
  ip?: string;
  device?: string;
  /** Another API instance's base URL; the customer's own by default. */
  baseUrl?: string;
  idempotencyKey?: string;
}

/** POST /v1/withdrawals as the customer's frontend sends it, from `ip` (X-Forwarded-For) and `device` (X-Device-Id). */
export function requestWithdrawal(customer: TestCustomer, amount: string, options: RequestOptions = {}): Promise<ApiResponse> {
  const client = options.baseUrl ? new ApiClient(options.baseUrl, customer.client.bearer) : customer.client;
  const headers: Record<string, string> = { 'idempotency-key': options.idempotencyKey ?? `key-${randomBytes(6).toString('hex')}` };
  if (options.ip) headers['x-forwarded-for'] = options.ip;
  if (options.device) headers['x-device-id'] = options.device;
  return client.post('/v1/withdrawals', { addressId: customer.addressId, amount }, headers);
}

/**
 * Email link, push approval and TOTP code, each as the customer gives it; `totpStep` lets one customer
 * confirm several withdrawals (a step is accepted once per customer).
 */
export async function confirmAllThree(
  channels: ConfirmationChannels,
  customer: TestCustomer,
  withdrawal: { id: string; matchCode: string },
  totpStep = currentStep(),
): Promise<{ email: ApiResponse; push: ApiResponse; totp: ApiResponse }> {
  const email = await channels.approveEmail(customer, withdrawal.id, withdrawal.matchCode);
  const push = await channels.approvePush(customer, withdrawal.id, withdrawal.matchCode);
  const totp = await customer.client.post(`/v1/withdrawals/${withdrawal.id}/totp`, { code: totpForStep(customer.totpSecret, totpStep) });
  return { email, push, totp };
}
