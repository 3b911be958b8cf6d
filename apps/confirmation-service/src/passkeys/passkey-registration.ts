import { APP_CONFIG, AppConfig } from '@app/config';
import { AuditRepository, PasskeyRepository, Transactions } from '@app/database';
import { problem, Verdict } from '@app/domain';
import { Inject, Injectable } from '@nestjs/common';
import { generateRegistrationOptions, RegistrationResponseJSON, verifyRegistrationResponse } from '@simplewebauthn/server';
import { createHash } from 'node:crypto';
import { SecurityChanges } from '../security-changes/security-changes';
import { isRefusal, StepUp } from '../security-changes/step-up';
import { PASSKEY_ALGORITHMS } from './passkey-policy';

/** How long a registration ceremony's challenge may be answered. */
const REGISTRATION_VALID_MS = 5 * 60_000;

/**
 * A passkey is a factor (DESIGN.md invariant 10): its creation options come only after a TOTP code (once TOTP
 * is active), with a challenge this service keeps; the browser's answer is verified here — that challenge,
 * an origin of WEBAUTHN_ORIGINS, the rp id, user verification — and only then does the passkey exist
 * (Postgres lets no other role write one). Adding or removing one is announced on the old channels, ends
 * open withdrawals and, by trigger, starts the lock.
 */
@Injectable()
export class PasskeyRegistration {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly stepUp: StepUp,
    private readonly passkeys: PasskeyRepository,
    private readonly changes: SecurityChanges,
    private readonly audit: AuditRepository,
  ) {}

  options(input: { userId: string; totpCode?: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const rpId = this.config.webauthn.rpId;
      if (!rpId) return problem('validation_failed', 'passkeys need WEBAUTHN_RP_ID (a domain) to be configured');
      const before = await this.stepUp.require(m, input.userId, input.totpCode);
      if (isRefusal(before)) return before;
      const existing = await this.passkeys.liveCredentials(input.userId, m);
      const options = await generateRegistrationOptions({
        rpName: this.config.webauthn.rpName,
        rpID: rpId,
        userName: before.email ?? input.userId,
        // An opaque handle: the customer id itself never reaches the authenticator.
        userID: new Uint8Array(createHash('sha256').update(`countersign-user/${input.userId}`).digest()),
        userDisplayName: before.email ?? 'Countersign customer',
        attestationType: 'none',
        timeout: REGISTRATION_VALID_MS,
        excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
        supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
      });
      await this.passkeys.openRegistration(m, input.userId, options.challenge, REGISTRATION_VALID_MS);
      await this.audit.append(m, { event: 'passkey_registration_started', userId: input.userId });
      return { ok: true, registrationOptions: options as unknown as Record<string, unknown> };
    });
  }

  add(input: { userId: string; label: string; response: Record<string, unknown> }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const before = await this.stepUp.before(m, input.userId);
      const ceremony = await this.passkeys.lockOpenRegistration(m, input.userId);
      if (!ceremony) return problem('passkey_invalid', 'no passkey registration is open: ask for new options (with a TOTP code)');
      // One answer, right or wrong, ends the ceremony: a wrong one cannot be retried against the same challenge.
      await this.passkeys.closeRegistrations(m, input.userId);
      const verified = await verifyRegistrationResponse({
        response: input.response as unknown as RegistrationResponseJSON,
        expectedChallenge: ceremony.challenge,
        expectedOrigin: this.config.webauthn.origins,
        expectedRPID: this.config.webauthn.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
      }).catch(() => undefined);
      if (!verified?.verified) {
        await this.audit.append(m, { event: 'passkey_registration_refused', userId: input.userId });
        return problem('passkey_invalid', 'the registration could not be verified');
      }
      const { credential } = verified.registrationInfo;
      if (await this.passkeys.credentialExists(m, credential.id)) return problem('passkey_invalid', 'this passkey is registered already');
      const passkey = await this.passkeys.insert(m, {
        userId: input.userId,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey),
        counter: credential.counter,
        transports: credential.transports ?? [],
        label: input.label,
      });
      await this.audit.append(m, { event: 'passkey_added', userId: input.userId, detail: { passkeyId: passkey.id } });
      await this.changes.announce(m, input.userId, 'passkey', before);
      return { ok: true, passkey: { id: passkey.id, label: passkey.label, createdAt: passkey.createdAt.toISOString() } };
    });
  }

  remove(input: { userId: string; passkeyId: string; totpCode?: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const before = await this.stepUp.require(m, input.userId, input.totpCode);
      if (isRefusal(before)) return before;
      if (!(await this.passkeys.revoke(m, input.userId, input.passkeyId))) return problem('not_found');
      await this.audit.append(m, { event: 'passkey_removed', userId: input.userId, detail: { passkeyId: input.passkeyId } });
      await this.changes.announce(m, input.userId, 'passkey', before);
      return { ok: true };
    });
  }
}
