import { Injectable } from '@nestjs/common';
import { VerdictClient } from '../http/verdict-client';

/** A verification link used: relayed, sealed, to the confirmation service, which makes the address the verified one. */
@Injectable()
export class EmailVerificationService {
  constructor(private readonly verdicts: VerdictClient) {}

  async verify(token: string): Promise<void> {
    await this.verdicts.ask('verify-email', {}, { token });
  }
}
