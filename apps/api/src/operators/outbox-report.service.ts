import { FailedOutboxEntry, OutboxRepository } from '@app/database';
import { Injectable } from '@nestjs/common';
import { OPERATOR_PAGE_SIZE } from '../api-constants';

/** What operators see of the outbox: jobs that could not be published, with why (also audited, and in /metrics). */
@Injectable()
export class OutboxReportService {
  constructor(private readonly outbox: OutboxRepository) {}

  failed(): Promise<FailedOutboxEntry[]> {
    return this.outbox.failed(OPERATOR_PAGE_SIZE);
  }
}
