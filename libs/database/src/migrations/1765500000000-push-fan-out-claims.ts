import { MigrationInterface, QueryRunner } from 'typeorm';
import { PUSH_BUDGET_SPENT, PUSH_BUDGET_VARIABLES } from './1765100000000-push-fan-out';
import { createAppFunction } from './app-function';

/**
 * push_fan_out with the pushes' claims: as 1765400000000 left it (the budget lock, the devices, the grant, a
 * skip audited once per withdrawal), then, while the withdrawal is open and in its window, the challenge of
 * each of the first cardinality(p_token_hashes) devices to push is taken with the token hash of its place,
 * as ChallengeRepository.take takes one (unless sent, or leased less than p_lease seconds ago), its token
 * stored beside any sent before; each device comes back with its keys and what its take found. The fan-out
 * that sends the pushes itself no longer takes each challenge in a statement of its own.
 */
/** A challenge this fan-out may take: not sent, and not leased (claimed less than p_lease seconds ago). */
const FREE = 'c.sent_at IS NULL AND (c.claimed_at IS NULL OR c.claimed_at <= now() - make_interval(secs => p_lease))';

const PUSH_FAN_OUT_CLAIMS = `CREATE FUNCTION push_fan_out(p_withdrawal uuid, p_per_hour integer, p_token_hashes bytea[], p_lease integer)
        RETURNS TABLE (allowed text[], skipped integer, open boolean, takes jsonb)
        LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
      DECLARE
${PUSH_BUDGET_VARIABLES}        v_allowed text[];
        v_open boolean;
        v_takes jsonb;
      BEGIN
${PUSH_BUDGET_SPENT}        IF cardinality(v_fresh) > cardinality(v_granted) AND cardinality(v_pushed) = 0 THEN
          INSERT INTO audit_events (actor, event, user_id, withdrawal_id, detail)
            VALUES ('notification-worker', 'push_rate_limited', v_user, p_withdrawal,
                    jsonb_build_object('skipped', cardinality(v_fresh) - cardinality(v_granted)));
        END IF;
        v_allowed := ARRAY(SELECT l.d FROM unnest(v_live) WITH ORDINALITY AS l(d, n) WHERE l.d = ANY (v_pushed) ORDER BY l.n) || v_granted;
        SELECT EXISTS (SELECT FROM withdrawals w WHERE w.id = p_withdrawal AND w.status IN ('pending_confirmation', 'held')
                                                  AND w.expires_at > now()) INTO v_open;
        v_takes := '[]';
        IF v_open AND cardinality(p_token_hashes) > 0 THEN
          WITH d AS (
            SELECT a.d::uuid AS sub, a.n::int AS n, p_token_hashes[a.n::int] AS h
              FROM unnest(v_allowed) WITH ORDINALITY AS a(d, n) WHERE a.n <= cardinality(p_token_hashes)),
          taken AS (
            UPDATE challenges c
               SET token_hash = CASE WHEN ${FREE}
                                     THEN d.h ELSE c.token_hash END,
                   claimed_at = CASE WHEN ${FREE}
                                     THEN now() ELSE c.claimed_at END
              FROM d
             WHERE c.withdrawal_id = p_withdrawal AND c.factor = 'push' AND c.subscription_id = d.sub
            RETURNING c.id, d.sub, d.n, d.h, c.sent_at, c.token_hash = d.h AS claimed),
          token AS (INSERT INTO challenge_tokens (token_hash, challenge_id) SELECT t.h, t.id FROM taken t WHERE t.claimed)
          SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'n', t.n, 'deliveryId', t.id, 'sentAt', t.sent_at, 'claimed', t.claimed,
                   'device', jsonb_build_object('id', s.id, 'userId', s.user_id, 'endpoint', s.endpoint, 'p256dh', s.p256dh, 'auth', s.auth))
                 ORDER BY t.n), '[]')
            INTO v_takes
            FROM taken t JOIN push_subscriptions s ON s.id = t.sub;
        END IF;
        RETURN QUERY SELECT v_allowed, cardinality(v_fresh) - cardinality(v_granted), v_open, v_takes;
      END $$;`;

/**
 * A withdrawal's fan-out claims the challenges of the pushes it sends itself, in its own statement: one
 * statement and one commit fewer per push. The two-argument push_fan_out stays for the fan-outs of a
 * notification worker of the release before (it claims nothing, so they work as they did) and goes in a
 * later release. SECURITY INVOKER: only the notification worker may call either.
 */
export class PushFanOutClaims1765500000000 implements MigrationInterface {
  name = 'PushFanOutClaims1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await createAppFunction(q, 'notifier', PUSH_FAN_OUT_CLAIMS, 'push_fan_out(uuid, integer, bytea[], integer)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION push_fan_out(uuid, integer, bytea[], integer)');
  }
}
