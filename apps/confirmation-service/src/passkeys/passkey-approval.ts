import { APP_CONFIG, AppConfig } from '@app/config';
import { passkeyChallenge } from '@app/crypto';
import { ChallengeRow, PasskeyRepository } from '@app/database';
import { PasskeyAssertionJson } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { AuthenticationResponseJSON, verifyAuthenticationResponse } from '@simplewebauthn/server';
import { EntityManager } from 'typeorm';
import { LockedWithdrawal } from '../withdrawals/withdrawal-locks';
import { PasskeyPolicy } from './passkey-policy';

/** What a push approval's passkey check found. */
export type PasskeyCheck =
  /** No passkey needed and none given: the approval goes on as before. */
  | { kind: 'not_needed' }
  /** One is needed and none was given: refused, nothing changes. */
  | { kind: 'missing' }
  /** One was given and failed: the push factor is denied, like a wrong match code. */
  | { kind: 'invalid'; reason: string }
  | { kind: 'valid'; passkeyId: string; counter: number; assertion: { authenticatorData: string; clientDataJSON: string; signature: string } };

/**
 * The phishing-resistant push approval (shared/API.md, "Customer: passkeys"). A push approval needs a passkey
 * when the customer had one when the withdrawal was requested, or above PASSKEY_REQUIRED_ABOVE. An assertion
 * is verified here, with the withdrawal locked: its challenge recomputed from the withdrawal row's digest
 * and the push challenge's id, an origin of WEBAUTHN_ORIGINS, the rp id, the user-verified flag, the
 * signature with the stored key, a counter that does not go back, and a credential of this customer that
 * was active when the withdrawal was created.
 */
@Injectable()
export class PasskeyApproval {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly passkeys: PasskeyRepository,
    private readonly policy: PasskeyPolicy,
  ) {}

  /** `passkeys`: how many of the owner's passkeys may approve `w` (read under the decision's locks). */
  async check(
    m: EntityManager,
    w: LockedWithdrawal,
    challenge: ChallengeRow,
    assertion: PasskeyAssertionJson | undefined,
    passkeys: number,
  ): Promise<PasskeyCheck> {
    if (!assertion) {
      const needed = this.policy.requiresPasskey(w) || passkeys > 0;
      return needed ? { kind: 'missing' } : { kind: 'not_needed' };
    }
    // Any assertion given is verified, needed or not: one from a passkey too young for this withdrawal is refused.
    const rpId = this.config.webauthn.rpId;
    if (!rpId || typeof assertion.id !== 'string') return { kind: 'invalid', reason: 'malformed' };
    const passkey = await this.passkeys.lockForAssertion(m, assertion.id, w.id);
    if (!passkey || !passkey.usable) return { kind: 'invalid', reason: 'credential' };
    const verified = await verifyAuthenticationResponse({
      response: assertion as unknown as AuthenticationResponseJSON,
      expectedChallenge: passkeyChallenge(w.digest, challenge.id),
      expectedOrigin: this.config.webauthn.origins,
      expectedRPID: rpId,
      expectedType: 'webauthn.get',
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: passkey.counter,
        transports: passkey.transports,
      },
      requireUserVerification: true,
    }).catch(() => undefined);
    if (!verified?.verified || !verified.authenticationInfo.userVerified) return { kind: 'invalid', reason: 'verification' };
    const { authenticatorData, clientDataJSON, signature } = assertion.response;
    return {
      kind: 'valid',
      passkeyId: passkey.id,
      counter: verified.authenticationInfo.newCounter,
      assertion: { authenticatorData, clientDataJSON, signature },
    };
  }
}
