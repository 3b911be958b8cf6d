import { Module } from '@nestjs/common';
import { RiskModule } from '../risk/risk.module';
import { WithdrawalsModule } from '../withdrawals/withdrawals.module';
import { AuditLogService } from './audit-log.service';
import { OperatorActionsService } from './operator-actions.service';
import { OperatorsController } from './operators.controller';
import { OutboxReportService } from './outbox-report.service';
import { WithdrawalPauseService } from './withdrawal-pause.service';

/** The operators' API: deposits, the kill switch, the review queue, freezes, mass TOTP revocation, the audit log. */
@Module({
  imports: [WithdrawalsModule, RiskModule],
  controllers: [OperatorsController],
  providers: [OperatorActionsService, WithdrawalPauseService, AuditLogService, OutboxReportService],
})
export class OperatorsModule {}
