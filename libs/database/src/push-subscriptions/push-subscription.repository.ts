import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Repository } from '../repository';
import { PushSubscriptionEntity } from './push-subscription.entity';

export type PushDevice = Pick<PushSubscriptionEntity, 'id' | 'userId' | 'endpoint' | 'p256dh' | 'auth' | 'retiredAt' | 'retiredReason'>;

/** `push_subscriptions`: the customer's devices for the push factor. */
@Injectable()
export class PushSubscriptionRepository extends Repository {
  async findLiveByEndpoint(m: EntityManager, userId: string, endpoint: string): Promise<string | undefined> {
    const row = await this.row<{ id: string }>(
      'SELECT id FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2 AND retired_at IS NULL',
      [userId, endpoint],
      m,
    );
    return row?.id;
  }

  async insert(m: EntityManager, userId: string, s: { endpoint: string; p256dh: string; auth: string }): Promise<string> {
    const [row] = await this.rows<{ id: string }>(
      'INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4) RETURNING id',
      [userId, s.endpoint, s.p256dh, s.auth],
      m,
    );
    return row.id;
  }

  /** Retires a live device (of `userId`, when given); false when there was none to retire. */
  async retire(m: EntityManager, id: string, reason: string, userId?: string): Promise<boolean> {
    const rows = await this.updateReturning<{ id: string }>(
      m,
      `UPDATE push_subscriptions SET retired_at = now(), retired_reason = $2
        WHERE id = $1 AND ($3::text IS NULL OR user_id = $3) AND retired_at IS NULL RETURNING id`,
      [id, reason, userId ?? null],
    );
    return rows.length > 0;
  }

  async find(id: string): Promise<PushDevice | undefined> {
    return this.row<PushDevice>(
      'SELECT id, user_id AS "userId", endpoint, p256dh, auth, retired_at AS "retiredAt", retired_reason AS "retiredReason" FROM push_subscriptions WHERE id = $1',
      [id],
    );
  }

  async countLive(userId: string): Promise<number> {
    const [row] = await this.rows<{ n: number }>('SELECT count(*)::int AS n FROM push_subscriptions WHERE user_id = $1 AND retired_at IS NULL', [
      userId,
    ]);
    return row.n;
  }

  /** The customer's live devices, oldest first. */
  async liveIds(m: EntityManager, userId: string): Promise<string[]> {
    const rows = await this.rows<{ id: string }>(
      'SELECT id FROM push_subscriptions WHERE user_id = $1 AND retired_at IS NULL ORDER BY created_at',
      [userId],
      m,
    );
    return rows.map((r) => r.id);
  }
}
