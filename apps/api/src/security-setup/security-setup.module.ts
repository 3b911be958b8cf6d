import { Module } from '@nestjs/common';
import { AddressesController } from './addresses.controller';
import { AddressesService } from './addresses.service';
import { BalancesController } from './balances.controller';
import { BalancesService } from './balances.service';
import { EmailVerificationController } from './email-verification.controller';
import { EmailVerificationService } from './email-verification.service';
import { PushSubscriptionsController } from './push-subscriptions.controller';
import { PushSubscriptionsService } from './push-subscriptions.service';
import { SecurityNoticesController } from './security-notices.controller';
import { SecurityController } from './security.controller';
import { SecurityService } from './security.service';
import { PasskeysController } from './passkeys.controller';
import { PasskeysService } from './passkeys.service';
import { AntiPhishingCodesService } from './anti-phishing-codes.service';

/** A customer's factors (email, TOTP, push devices), withdrawal addresses and balances. */
@Module({
  controllers: [
    SecurityController,
    SecurityNoticesController,
    EmailVerificationController,
    PushSubscriptionsController,
    AddressesController,
    BalancesController,
    PasskeysController,
  ],
  providers: [
    SecurityService,
    EmailVerificationService,
    PushSubscriptionsService,
    AddressesService,
    BalancesService,
    PasskeysService,
    AntiPhishingCodesService,
  ],
})
export class SecuritySetupModule {}
