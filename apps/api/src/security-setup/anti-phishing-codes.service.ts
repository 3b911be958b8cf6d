import { hashToken } from '@app/crypto';
import { AntiPhishingCodeRepository } from '@app/database';
import { Injectable } from '@nestjs/common';

/** The customer's anti-phishing code for the pages a message links to, found from the link's token. */
@Injectable()
export class AntiPhishingCodesService {
  constructor(private readonly codes: AntiPhishingCodeRepository) {}

  forNoticeLink(token: string): Promise<string | undefined> {
    return this.codes.forNoticeLink(hashToken(token));
  }

  forVerificationLink(token: string): Promise<string | undefined> {
    return this.codes.forVerificationLink(hashToken(token));
  }
}
