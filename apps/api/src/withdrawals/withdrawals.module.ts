import { Module } from '@nestjs/common';
import { CreateWithdrawal } from './create-withdrawal';
import { WithdrawalDecisions } from './withdrawal-decisions.service';
import { WithdrawalStatusService } from './withdrawal-status.service';
import { WithdrawalsController } from './withdrawals.controller';

/** Customers' withdrawals: request, status document, TOTP code, cancel. */
@Module({
  controllers: [WithdrawalsController],
  providers: [CreateWithdrawal, WithdrawalStatusService, WithdrawalDecisions],
  exports: [WithdrawalStatusService],
})
export class WithdrawalsModule {}
