import { ParsedMail } from 'mailparser';
import { ApiClient } from './api-client';
import { sentTo } from './smtp-catcher';
import { authenticatorCode, linkIn, TestCustomer, tokenOf } from './customer-factory';
import { PushMessage } from './push-service';
import { TestEnvironment } from './test-suite';

/** The three channels as the customer meets them: an email over SMTP, a decrypted push, an authenticator. */
export class ConfirmationChannels {
  constructor(
    private readonly env: TestEnvironment,
    private readonly baseUrl: string,
  ) {}

  challengeEmail(customer: TestCustomer, withdrawalId: string): Promise<ParsedMail> {
    return this.env.smtp.waitFor(
      (m) => sentTo(m, customer.email) && /Confirm your withdrawal/.test(m.subject ?? '') && (m.text ?? '').includes(withdrawalId),
    );
  }

  push(customer: TestCustomer, withdrawalId: string, device = 0): Promise<PushMessage> {
    const endpoint = customer.subscriptions[device].endpoint;
    return this.env.push.waitFor((m) => m.endpoint === endpoint && m.payload.withdrawalId === withdrawalId);
  }

  async emailToken(customer: TestCustomer, withdrawalId: string): Promise<string> {
    return tokenOf(linkIn((await this.challengeEmail(customer, withdrawalId)).text ?? '', 'confirm'));
  }

  async pushToken(customer: TestCustomer, withdrawalId: string, device = 0): Promise<string> {
    return String((await this.push(customer, withdrawalId, device)).payload.token);
  }

  /** Opens the confirmation page the way a browser would; returns the match-code choices it offers (its radio buttons). */
  async openPage(token: string): Promise<{ status: number; html: string; choices: string[] }> {
    const response = await fetch(`${this.baseUrl}/confirm/${token}`);
    const html = await response.text();
    const choices = [...html.matchAll(/<input type="radio" name="matchCode" value="([0-9]{2})">/g)].map((m) => m[1]);
    return { status: response.status, html, choices };
  }

  decide(token: string, decision: 'approve' | 'deny', matchCode?: string) {
    return new ApiClient(this.baseUrl).post('/v1/confirmations', { token, decision, ...(matchCode ? { matchCode } : {}) });
  }

  async approveEmail(customer: TestCustomer, withdrawalId: string, matchCode: string) {
    return this.decide(await this.emailToken(customer, withdrawalId), 'approve', matchCode);
  }

  async approvePush(customer: TestCustomer, withdrawalId: string, matchCode: string) {
    return this.decide(await this.pushToken(customer, withdrawalId), 'approve', matchCode);
  }

  async submitTotp(customer: TestCustomer, withdrawalId: string, offset = 1) {
    return customer.client.post(`/v1/withdrawals/${withdrawalId}/totp`, { code: await authenticatorCode(customer.totpSecret, offset) });
  }

  /**
   * All three confirmations of a withdrawal as its customer gives them (email link, push, oathtool code),
   * then the posted status document; returns the evidence used, for tests that look for it elsewhere.
   */
  async confirmAll(customer: TestCustomer, withdrawal: { id: string; matchCode: string }, offset = 1) {
    const emailToken = await this.emailToken(customer, withdrawal.id);
    const pushToken = await this.pushToken(customer, withdrawal.id);
    const totpCode = await authenticatorCode(customer.totpSecret, offset);
    const answers = [
      await this.decide(emailToken, 'approve', withdrawal.matchCode),
      await this.decide(pushToken, 'approve', withdrawal.matchCode),
      await customer.client.post(`/v1/withdrawals/${withdrawal.id}/totp`, { code: totpCode }),
    ];
    const refused = answers.find((a) => a.status !== 200);
    if (refused) throw new Error(`confirming ${withdrawal.id}: ${refused.status} ${JSON.stringify(refused.body)}`);
    return { emailToken, pushToken, totpCode, status: await this.waitForStatus(customer, withdrawal.id, 'posted') };
  }

  async requestWithdrawal(customer: TestCustomer, amount: string, key = `key-${Math.random().toString(36).slice(2)}`) {
    return customer.client.post('/v1/withdrawals', { addressId: customer.addressId, amount }, { 'idempotency-key': key });
  }

  async waitForStatus(customer: TestCustomer, withdrawalId: string, status: string, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const doc = await customer.client.get(`/v1/withdrawals/${withdrawalId}`);
      if (doc.body.status === status) return doc.body;
      if (Date.now() > deadline) throw new Error(`withdrawal ${withdrawalId} is ${doc.body.status}, not ${status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
