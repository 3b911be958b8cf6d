import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DeliveryTake, takeDeliverySet } from '../challenges/challenge.repository';
import { RecordedChange } from '../recorded-changes';
import { Repository } from '../repository';
import { NoticeDeliveryEntity, SecurityChange, SecurityNoticeEntity } from './security-notice.entity';

export type NoticeRecipient = { channel: 'email'; email: string } | { channel: 'push'; subscriptionId: string };

/** A delivery as the notification worker sends it. */
export type NoticeDelivery = Pick<NoticeDeliveryEntity, 'id' | 'noticeId' | 'channel' | 'email' | 'subscriptionId' | 'sentAt'> &
  Pick<SecurityNoticeEntity, 'userId' | 'change' | 'createdAt'>;

/** `security_notices` and `notice_deliveries`: announcements of factor changes, and their "this wasn't me" links. */
@Injectable()
export class SecurityNoticeRepository extends Repository {
  /** Records the notice and one delivery per recipient; returns the deliveries' ids. */
  async create(
    m: EntityManager,
    userId: string,
    change: SecurityChange,
    recipients: NoticeRecipient[],
  ): Promise<{ noticeId: string; deliveries: { id: string; channel: 'email' | 'push' }[] }> {
    const [notice] = await this.rows<{ id: string }>(
      'INSERT INTO security_notices (user_id, change) VALUES ($1, $2) RETURNING id',
      [userId, change],
      m,
    );
    const deliveries: { id: string; channel: 'email' | 'push' }[] = [];
    for (const r of recipients) {
      const [row] = await this.rows<{ id: string }>(
        'INSERT INTO notice_deliveries (notice_id, channel, email, subscription_id) VALUES ($1, $2, $3, $4) RETURNING id',
        [notice.id, r.channel, r.channel === 'email' ? r.email : null, r.channel === 'push' ? r.subscriptionId : null],
        m,
      );
      deliveries.push({ id: row.id, channel: r.channel });
    }
    return { noticeId: notice.id, deliveries };
  }

  async delivery(id: string, m?: EntityManager): Promise<NoticeDelivery | undefined> {
    return this.row<NoticeDelivery>(
      `SELECT d.id, d.notice_id AS "noticeId", d.channel, d.email, d.subscription_id AS "subscriptionId", d.sent_at AS "sentAt",
              n.user_id AS "userId", n.change, n.created_at AS "createdAt"
         FROM notice_deliveries d JOIN security_notices n ON n.id = d.notice_id WHERE d.id = $1`,
      [id],
      m,
    );
  }

  /** One delivery attempt of the notice, in one statement: taken with `tokenHash` as ChallengeRepository.take takes a challenge. */
  async take(id: string, tokenHash: Buffer, leaseSeconds: number): Promise<DeliveryTake | undefined> {
    const [row] = await this.updateReturning<DeliveryTake>(
      this.db(),
      `UPDATE notice_deliveries d SET ${takeDeliverySet('d', '$2', '$3')} WHERE d.id = $1
       RETURNING d.id, d.sent_at AS "sentAt", coalesce(d.token_hash = $2, false) AS claimed`,
      [id, tokenHash, leaseSeconds],
    );
    return row;
  }

  async releaseClaim(id: string): Promise<void> {
    await this.db().query('UPDATE notice_deliveries SET claimed_at = NULL WHERE id = $1', [id]);
  }

  /** Marks it sent: a change made with its audit entry, and with other deliveries' marks (the notification worker's SentMarks). */
  sentChange(id: string): RecordedChange {
    return { sql: 'UPDATE notice_deliveries SET sent_at = now() WHERE id = $1', params: [id] };
  }

  /** Uses a "this wasn't me" link once; the notice it belongs to, else undefined. */
  async useLink(m: EntityManager, tokenHash: Buffer): Promise<{ noticeId: string; userId: string; change: SecurityChange } | undefined> {
    const [row] = await this.updateReturning<{ noticeId: string }>(
      m,
      'UPDATE notice_deliveries SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL RETURNING notice_id AS "noticeId"',
      [tokenHash],
    );
    if (!row) return undefined;
    const [notice] = await this.updateReturning<{ userId: string; change: SecurityChange }>(
      m,
      'UPDATE security_notices SET reported_at = coalesce(reported_at, now()) WHERE id = $1 RETURNING user_id AS "userId", change',
      [row.noticeId],
    );
    return { noticeId: row.noticeId, ...notice };
  }
}
