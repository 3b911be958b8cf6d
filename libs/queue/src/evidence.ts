import { AppConfig, APP_CONFIG } from '@app/config';
import { asPrivateKey, asPublicKey, open, seal, SealedBoxError } from '@app/crypto';
import { Inject, Injectable } from '@nestjs/common';
import { KeyObject } from 'node:crypto';
import { ConfirmationEvidence, EvidenceJobName, SealedEvidence } from './job-contracts';

/** The context a job's evidence is sealed under: its name and id, so a box opens in no other job. */
const contextOf = (name: string, jobId: string) => `job/${name}/${jobId}`;

/** The API's side: seals evidence to the confirmation service before it enters a job. */
@Injectable()
export class EvidenceSealer {
  private readonly confirmationService: KeyObject;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.confirmationService = asPublicKey(config.totpSeal.publicKey);
  }

  seal<N extends EvidenceJobName>(name: N, jobId: string, evidence: ConfirmationEvidence[N]): SealedEvidence {
    return { sealed: seal(this.confirmationService, JSON.stringify(evidence), contextOf(name, jobId)) };
  }
}

export class EvidenceRefused extends Error {}

/** The confirmation service's side: opens a job's evidence, only under that job's own name and id. */
@Injectable()
export class EvidenceOpener {
  private readonly privateKey?: KeyObject;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (config.totpSeal.privateKey) this.privateKey = asPrivateKey(config.totpSeal.privateKey);
  }

  open<N extends EvidenceJobName>(name: N, jobId: string | undefined, data: SealedEvidence): ConfirmationEvidence[N] {
    if (!this.privateKey) throw new Error('TOTP_SEAL_PRIVATE_KEY is required to open evidence');
    if (!jobId || typeof data.sealed !== 'string') throw new EvidenceRefused('no sealed evidence');
    try {
      return JSON.parse(open(this.privateKey, data.sealed, contextOf(name, jobId)).toString('utf8')) as ConfirmationEvidence[N];
    } catch (error) {
      if (error instanceof SealedBoxError || error instanceof SyntaxError) throw new EvidenceRefused('evidence could not be opened');
      throw error;
    }
  }
}
