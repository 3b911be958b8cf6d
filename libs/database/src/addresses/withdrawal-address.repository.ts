import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Repository } from '../repository';
import { WithdrawalAddressEntity } from './withdrawal-address.entity';

export type WithdrawalAddress = Pick<WithdrawalAddressEntity, 'id' | 'asset' | 'network' | 'address' | 'label' | 'createdAt' | 'usableAt'>;

const COLUMNS = 'id, asset, network, address, label, created_at AS "createdAt", usable_at AS "usableAt"';

/** `withdrawal_addresses`: the customer's allow-list of destinations. */
@Injectable()
export class WithdrawalAddressRepository extends Repository {
  async insert(
    m: EntityManager,
    userId: string,
    a: { asset: string; network: string; address: string; label: string },
    coolingOffMs: number,
  ): Promise<WithdrawalAddress> {
    const [row] = await this.rows<WithdrawalAddress>(
      `INSERT INTO withdrawal_addresses (user_id, asset, network, address, label, usable_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING ${COLUMNS}`,
      [userId, a.asset, a.network, a.address, a.label, coolingOffMs / 1000],
      m,
    );
    return row;
  }

  async listLive(userId: string): Promise<WithdrawalAddress[]> {
    return this.rows<WithdrawalAddress>(`SELECT ${COLUMNS} FROM withdrawal_addresses WHERE user_id = $1 AND deleted_at IS NULL ORDER BY created_at`, [
      userId,
    ]);
  }

  /** Removes a live address of the customer; false when there was none. */
  async remove(m: EntityManager, userId: string, id: string): Promise<boolean> {
    const rows = await this.updateReturning<{ id: string }>(
      m,
      'UPDATE withdrawal_addresses SET deleted_at = now() WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL RETURNING id',
      [id, userId],
    );
    return rows.length > 0;
  }
}
