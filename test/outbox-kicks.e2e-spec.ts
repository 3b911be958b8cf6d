import { OutboxRepository, outboxWritten, Transactions } from '@app/database';
import { Outbox, QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { waitUntil } from './support/ledger-checks';
import { useSuite } from './support/use-suite';

/**
 * Issue 11: the outbox relay runs a pass right after each commit that recorded jobs, and only then (a
 * decision that recorded none used to cost an empty pass: three statements and a commit). Against the
 * confirmation service's own Postgres connection.
 */
describe('the outbox relay is kicked by the commits that record jobs', () => {
  const t = useSuite({}, { notifier: false });

  it('after a commit that recorded jobs, once; never after one that recorded none, nor after a rollback', async () => {
    const transactions = t.suite.confirmer!.get(Transactions);
    const kicks: string[] = [];
    let current = '';
    transactions.afterOutboxCommit(() => kicks.push(current));

    current = 'read only';
    await transactions.run((m) => m.query('SELECT 1'));
    current = 'recorded jobs';
    await transactions.run(async (m) => {
      await m.query('SELECT 1');
      outboxWritten(m);
      // Not yet: the rows are not visible to any relay until the commit.
      expect(kicks).toEqual([]);
    });
    current = 'rolled back';
    await expect(
      transactions.run((m) => {
        outboxWritten(m);
        return Promise.reject(new Error('changed its mind'));
      }),
    ).rejects.toThrow('changed its mind');

    expect(kicks).toEqual(['recorded jobs']);
  });
});

describe("a commit's jobs are published from memory", () => {
  const t = useSuite({}, { notifier: false });

  it('they reach their queue and their rows are marked published by one statement, by queue and job id', async () => {
    const confirmer = t.suite.confirmer!;
    const rows = confirmer.get(OutboxRepository);
    const marks = jest.spyOn(rows, 'markPublishedJobs');
    const notifications = confirmer.get<Queue>(getQueueToken(QueueName.Notifications));
    const id = `outcome-${randomUUID()}`;
    await confirmer
      .get(Transactions)
      .run((m) =>
        confirmer
          .get(Outbox)
          .add(m, [{ queue: QueueName.Notifications, name: 'send-outcome-email', jobId: id, data: { withdrawalId: randomUUID() } }]),
      );
    await waitUntil(async () => (await notifications.getJob(id)) !== undefined, 'the job in its queue', 5_000);
    const published = async () => (await t.env.admin.query('SELECT published_at FROM outbox WHERE job_id = $1', [id]))[0].published_at !== null;
    await waitUntil(published, 'its row marked published', 5_000);
    expect(marks.mock.calls.flat(2)).toContainEqual({ queue: QueueName.Notifications, jobId: id });
  });
});
