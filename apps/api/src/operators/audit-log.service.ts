import { AuditRepository, AuditView } from '@app/database';
import { Injectable } from '@nestjs/common';
import { AUDIT_PAGE_SIZE } from '../api-constants';
import { Page } from '../withdrawals/withdrawal.dto';

/** The audit log for operators, newest first. */
@Injectable()
export class AuditLogService {
  constructor(private readonly audit: AuditRepository) {}

  async page(filter: { withdrawalId?: string; userId?: string; event?: string; cursor?: string }): Promise<Page<AuditView>> {
    const rows = await this.audit.page({ ...filter, before: filter.cursor }, AUDIT_PAGE_SIZE);
    const items = rows.slice(0, AUDIT_PAGE_SIZE);
    return { items, nextCursor: rows.length > AUDIT_PAGE_SIZE ? items[items.length - 1].id : null };
  }
}
