import { APP_CONFIG, AppConfig } from '@app/config';
import { exceedsAmount } from '@app/domain';
import { Inject, Injectable } from '@nestjs/common';

/** The COSE algorithms accepted for a passkey: ES256, EdDSA, RS256 — each one node:crypto verifies, so the wallet can too. */
export const PASSKEY_ALGORITHMS = [-7, -8, -257];

/** PASSKEY_REQUIRED_ABOVE: a withdrawal of strictly more than its asset's amount needs a passkey approval. */
@Injectable()
export class PasskeyPolicy {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  requiresPasskey(w: { asset: string; amount: string }): boolean {
    const limit = this.config.passkeyRequiredAbove[w.asset];
    return limit !== undefined && exceedsAmount(w.amount, limit);
  }
}
