import { APP_CONFIG, AppConfig } from '@app/config';
import { hashToken, passkeyChallenge, safeEqual } from '@app/crypto';
import { PasskeyRepository } from '@app/database';
import { Decision, TokenFactor } from '@app/domain';
import { PasskeyAssertionJson } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { Problem } from '../http/problem';
import { VerdictClient } from '../http/verdict-client';
import type { PasskeyRequestOptionsDto } from './confirmations.controller';

/** How long the browser gives the customer to use the passkey. */
const PASSKEY_TIMEOUT_MS = 120_000;

/** An email or push decision, relayed: the confirmation service decides, and says which factor it was. */
@Injectable()
export class ConfirmationsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verdicts: VerdictClient,
    private readonly passkeys: PasskeyRepository,
  ) {}

  async decide(
    token: string,
    decision: Decision,
    matchCode?: string,
    passkey?: PasskeyAssertionJson,
  ): Promise<{ factor: TokenFactor; status: string }> {
    const verdict = await this.verdicts.ask(
      'decide-token',
      {},
      { token, decision, ...(matchCode ? { matchCode } : {}), ...(passkey ? { passkey } : {}) },
    );
    return { factor: verdict.factor as TokenFactor, status: verdict.status! };
  }

  /**
   * What the browser needs to approve a push token with a passkey: the challenge derived from the withdrawal's
   * current digest and the push challenge's id (shared/API.md), and the customer's passkeys that may approve
   * it. Reading it changes nothing; the confirmation service recomputes the challenge itself.
   */
  async passkeyOptions(token: string): Promise<PasskeyRequestOptionsDto> {
    const hash = hashToken(token);
    const c = await this.passkeys.signingContext(hash);
    const usable =
      c &&
      safeEqual(c.tokenHash, hash) &&
      c.factor === 'push' &&
      !c.consumedAt &&
      c.factorStatus === 'pending' &&
      c.status === 'pending_confirmation' &&
      new Date(c.expiresAt).getTime() > Date.now();
    if (!usable || !this.config.webauthn.rpId) throw new Problem('token_invalid');
    const credentials = await this.passkeys.credentialsForWithdrawal(c.withdrawalId);
    return {
      challenge: passkeyChallenge(c.digest, c.challengeId),
      rpId: this.config.webauthn.rpId,
      allowCredentials: credentials.map((p) => ({ id: p.credentialId, type: 'public-key', transports: p.transports })),
      userVerification: 'required',
      timeout: PASSKEY_TIMEOUT_MS,
    };
  }
}
