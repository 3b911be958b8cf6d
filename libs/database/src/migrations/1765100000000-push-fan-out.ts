import { MigrationInterface, QueryRunner } from 'typeorm';
import { createAppFunction } from './app-function';

/** The variables PUSH_BUDGET_SPENT sets, declared by every version of push_fan_out. */
export const PUSH_BUDGET_VARIABLES = `        v_user text;
        v_live text[];
        v_pushed text[];
        v_recent integer;
        v_fresh text[];
        v_granted text[];
`;

/**
 * The fan-out's budget, as every version of push_fan_out spends it: the owner's lock, the live devices, those
 * already challenged, the recent pushes, and the fresh devices granted their challenge (v_granted).
 */
export const PUSH_BUDGET_SPENT = `        SELECT w.user_id INTO v_user FROM withdrawals w WHERE w.id = p_withdrawal;
        IF NOT FOUND THEN RETURN; END IF;
        PERFORM pg_advisory_xact_lock(hashtext('push-budget:' || v_user));
        SELECT coalesce(array_agg(s.id::text ORDER BY s.created_at), '{}') INTO v_live
          FROM push_subscriptions s WHERE s.user_id = v_user AND s.retired_at IS NULL;
        SELECT coalesce(array_agg(c.subscription_id::text), '{}') INTO v_pushed
          FROM challenges c WHERE c.withdrawal_id = p_withdrawal AND c.factor = 'push';
        SELECT count(*)::int INTO v_recent
          FROM challenges c JOIN withdrawals w ON w.id = c.withdrawal_id
         WHERE w.user_id = v_user AND c.factor = 'push' AND c.created_at > now() - interval '1 hour'
           AND w.status IN ('pending_confirmation', 'held');
        v_fresh := ARRAY(SELECT l.d FROM unnest(v_live) WITH ORDINALITY AS l(d, n) WHERE l.d <> ALL (v_pushed) ORDER BY l.n);
        v_granted := v_fresh[1:greatest(0, p_per_hour - v_recent)];
        INSERT INTO challenges (withdrawal_id, factor, subscription_id, digest)
          SELECT w.id, 'push', g.d::uuid, w.digest FROM withdrawals w, unnest(v_granted) AS g(d) WHERE w.id = p_withdrawal
          ON CONFLICT ON CONSTRAINT challenges_one_per_device DO NOTHING;
`;

/** The function as this migration made it (1765400000000 replaces it, and puts it back on the way down). */
export const PUSH_FAN_OUT = `CREATE FUNCTION push_fan_out(p_withdrawal uuid, p_per_hour integer)
        RETURNS TABLE ("userId" text, allowed text[], skipped integer)
        LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
      DECLARE
${PUSH_BUDGET_VARIABLES}      BEGIN
${PUSH_BUDGET_SPENT}        IF cardinality(v_fresh) > cardinality(v_granted) THEN
          INSERT INTO audit_events (actor, event, user_id, withdrawal_id, detail)
            VALUES ('notification-worker', 'push_rate_limited', v_user, p_withdrawal,
                    jsonb_build_object('skipped', cardinality(v_fresh) - cardinality(v_granted)));
        END IF;
        RETURN QUERY SELECT v_user,
          ARRAY(SELECT l.d FROM unnest(v_live) WITH ORDINALITY AS l(d, n) WHERE l.d = ANY (v_pushed) ORDER BY l.n) || v_granted,
          cardinality(v_fresh) - cardinality(v_granted);
      END $$;`;

/**
 * A withdrawal's push fan-out in one round trip instead of four or more: the owner's push budget lock (fan-outs
 * for one customer take turns), then, each statement with a snapshot taken once the lock is held, the owner's
 * live devices (oldest first), those this withdrawal already has a push challenge for, and the owner's push
 * challenges of the last hour for withdrawals still open (the push-bombing budget: a withdrawal created and
 * cancelled gives its pushes back). The devices within the budget get their challenge, bound to the
 * withdrawal's digest; a skip is audited. Answers the owner, the devices to push (already challenged first,
 * then granted) and how many were skipped; no row for no such withdrawal.
 * SECURITY INVOKER: it runs with the caller's own privileges and grants none; only the notification worker
 * may call it.
 */
export class PushFanOut1765100000000 implements MigrationInterface {
  name = 'PushFanOut1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await createAppFunction(q, 'notifier', PUSH_FAN_OUT, 'push_fan_out(uuid, integer)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION push_fan_out(uuid, integer)');
  }
}
