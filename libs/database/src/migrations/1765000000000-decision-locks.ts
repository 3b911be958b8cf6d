import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * What every confirmation takes before deciding, in one round trip instead of four: the withdrawal found
 * by id or by a challenge token's hash, then its owner's row, the withdrawal's row and its factors' rows
 * locked in that order (the order WithdrawalLocks keeps everywhere, so verdicts on one customer serialise
 * and never deadlock), then all of them read as they are once locked. Each statement of a volatile
 * function takes a fresh snapshot, so the final read sees whatever a transaction waited on committed.
 * SECURITY INVOKER: it runs with the caller's own privileges and grants none; only the confirmation
 * service may call it.
 */
export class DecisionLocks1765000000000 implements MigrationInterface {
  name = 'DecisionLocks1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION withdrawal_decision_locks(p_withdrawal uuid, p_token_hash bytea, p_owner text)
        RETURNS TABLE (id uuid, "userId" text, asset text, network text, address text, amount text, fee text, digest bytea,
                       status text, "matchCode" text, "expiresAt" timestamptz, "requestId" text, "accountFrozen" boolean,
                       factors jsonb)
        LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
      #variable_conflict use_column
      DECLARE
        v_withdrawal uuid := p_withdrawal;
      BEGIN
        IF v_withdrawal IS NULL THEN
          SELECT c.withdrawal_id INTO v_withdrawal
            FROM challenge_tokens t JOIN challenges c ON c.id = t.challenge_id WHERE t.token_hash = p_token_hash;
          IF NOT FOUND THEN RETURN; END IF;
        END IF;
        PERFORM 1 FROM users u
          WHERE u.id = (SELECT w.user_id FROM withdrawals w WHERE w.id = v_withdrawal) AND (p_owner IS NULL OR u.id = p_owner)
          FOR UPDATE;
        IF NOT FOUND THEN RETURN; END IF;
        PERFORM 1 FROM withdrawals w WHERE w.id = v_withdrawal FOR UPDATE;
        PERFORM 1 FROM withdrawal_factors f WHERE f.withdrawal_id = v_withdrawal ORDER BY f.factor FOR UPDATE;
        RETURN QUERY
          SELECT w.id, w.user_id, w.asset, w.network, w.address, w.amount::text, w.fee::text, w.digest, w.status, w.match_code,
                 w.expires_at, w.request_id, u.withdrawals_frozen_at IS NOT NULL,
                 (SELECT jsonb_agg(jsonb_build_object('factor', f.factor, 'status', f.status, 'digest', encode(f.digest, 'hex'),
                                                      'failures', f.failures, 'wrongMatchPicks', f.wrong_match_picks) ORDER BY f.factor)
                    FROM withdrawal_factors f WHERE f.withdrawal_id = w.id)
            FROM withdrawals w JOIN users u ON u.id = w.user_id
           WHERE w.id = v_withdrawal;
      END $$;
      REVOKE EXECUTE ON FUNCTION withdrawal_decision_locks(uuid, bytea, text) FROM PUBLIC;
    `);
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const confirmer = ident(appRoleSpecs(db).find((s) => s.role === 'confirmer')!.name);
    await q.query(`GRANT EXECUTE ON FUNCTION withdrawal_decision_locks(uuid, bytea, text) TO ${confirmer}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION withdrawal_decision_locks(uuid, bytea, text)');
  }
}
