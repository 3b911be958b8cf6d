import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A new withdrawal's challenge fan-out moves to the pushes queue, where it sends the first device's push
 * itself (one job fewer per withdrawal): the API may record it there in the outbox. It may still record it on
 * the notifications queue, where fan-outs queued before this release are served as before.
 */
export class ChallengeFanOutOnPushes1765400000000 implements MigrationInterface {
  name = 'ChallengeFanOutOnPushes1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`INSERT INTO outbox_producers (app, queue, name) VALUES ('api', 'pushes', 'send-withdrawal-challenges')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM outbox_producers WHERE app = 'api' AND queue = 'pushes' AND name = 'send-withdrawal-challenges'`);
  }
}
