import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Repository } from '../repository';

/** `operator_token_uses`: each operator token proves one action, once. */
@Injectable()
export class OperatorTokenRepository extends Repository {
  /** Records the token's use for `action` in the caller's transaction; false when it was used already. */
  async use(m: EntityManager, jti: string, operatorId: string, action: string): Promise<boolean> {
    const rows = await this.rows<{ jti: string }>(
      'INSERT INTO operator_token_uses (jti, operator_id, action) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING jti',
      [jti, operatorId, action],
      m,
    );
    return rows.length > 0;
  }
}
