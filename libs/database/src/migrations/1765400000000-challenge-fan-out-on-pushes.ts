import { MigrationInterface, QueryRunner } from 'typeorm';
import { PUSH_FAN_OUT } from './1765100000000-push-fan-out';

const SKIP_AUDITED = 'IF cardinality(v_fresh) > cardinality(v_granted) THEN';
// Only the withdrawal's first fan-out (no push challenge yet) audits a skip: the fan-out is now run again
// whenever a push it sends is retried or waits for a busy push service, every second or two.
const SKIP_AUDITED_ONCE = 'IF cardinality(v_fresh) > cardinality(v_granted) AND cardinality(v_pushed) = 0 THEN';

/** push_fan_out as 1765100000000 made it, or with its skip audited once per withdrawal; CREATE OR REPLACE keeps its grants. */
function pushFanOut(skipAudit: string): string {
  if (!PUSH_FAN_OUT.includes(SKIP_AUDITED)) throw new Error('push_fan_out is not as migration 1765100000000 made it');
  return PUSH_FAN_OUT.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION').replace(SKIP_AUDITED, skipAudit);
}

/**
 * A new withdrawal's challenge fan-out moves to the pushes queue, where it sends the pushes itself (one
 * job per withdrawal instead of one per device): the API may record it there in the outbox. It may still record it on
 * the notifications queue, where fan-outs queued before this release are served as before. push_fan_out
 * audits a skip (push_rate_limited) once per withdrawal, however often it runs.
 */
export class ChallengeFanOutOnPushes1765400000000 implements MigrationInterface {
  name = 'ChallengeFanOutOnPushes1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`INSERT INTO outbox_producers (app, queue, name) VALUES ('api', 'pushes', 'send-withdrawal-challenges')`);
    await q.query(pushFanOut(SKIP_AUDITED_ONCE));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(pushFanOut(SKIP_AUDITED));
    await q.query(`DELETE FROM outbox_producers WHERE app = 'api' AND queue = 'pushes' AND name = 'send-withdrawal-challenges'`);
  }
}
