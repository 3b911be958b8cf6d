import { Module } from '@nestjs/common';
import { RiskModule } from '../risk/risk.module';
import { CreateWithdrawal } from './create-withdrawal';
import { WithdrawalDecisions } from './withdrawal-decisions.service';
import { WithdrawalChangeFeed } from './withdrawal-change-feed';
import { WithdrawalEventsService } from './withdrawal-events.service';
import { WithdrawalStatusService } from './withdrawal-status.service';
import { WithdrawalsController } from './withdrawals.controller';
import { StatusDocumentCache } from './status-document-cache';
import { WithdrawalStatusRoute } from './withdrawal-status.route';

/** Customers' withdrawals: request, status document (and its event stream), TOTP code, cancel. */
@Module({
  imports: [RiskModule],
  controllers: [WithdrawalsController],
  providers: [
    CreateWithdrawal,
    WithdrawalStatusService,
    WithdrawalDecisions,
    WithdrawalChangeFeed,
    WithdrawalEventsService,
    StatusDocumentCache,
    WithdrawalStatusRoute,
  ],
  exports: [WithdrawalStatusService, WithdrawalStatusRoute],
})
export class WithdrawalsModule {}
