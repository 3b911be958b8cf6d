import { EntityManager } from 'typeorm';

export interface AuditEvent {
  actor: string;
  event: string;
  userId?: string | null;
  withdrawalId?: string | null;
  detail?: Record<string, unknown>;
}

/** Appends to the audit log inside the caller's transaction, so the record and the change commit together. */
export async function appendAudit(manager: EntityManager, e: AuditEvent): Promise<void> {
  await manager.query(
    'INSERT INTO audit_events (actor, event, user_id, withdrawal_id, detail) VALUES ($1, $2, $3, $4, $5)',
    [e.actor, e.event, e.userId ?? null, e.withdrawalId ?? null, JSON.stringify(e.detail ?? {})],
  );
}
