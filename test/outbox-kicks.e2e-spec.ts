import { outboxWritten, Transactions } from '@app/database';
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
