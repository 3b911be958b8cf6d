import { RecordedChange, RecordedChangeRepository } from '@app/database';
import { SENT_MARK_WINDOW_MS, SENT_MARKS_PER_STATEMENT, SentMarks } from './sent-marks';

/** A repository that records each statement's changes, and refuses any statement holding a change marked bad. */
class StatementLog {
  readonly statements: string[][] = [];
  make(changes: RecordedChange[]): Promise<void> {
    this.statements.push(changes.map((c) => c.sql));
    return changes.some((c) => c.sql === 'bad') ? Promise.reject(new Error('refused')) : Promise.resolve();
  }
}

const mark = (name: string): RecordedChange[] => [{ sql: name, params: [] }];

describe('SentMarks', () => {
  let log: StatementLog;
  let marks: SentMarks;

  beforeEach(() => {
    jest.useFakeTimers();
    log = new StatementLog();
    marks = new SentMarks(log as unknown as RecordedChangeRepository);
  });

  afterEach(() => jest.useRealTimers());

  it('makes the marks of one window in one statement, and each caller hears once it is made', async () => {
    const settled: string[] = [];
    const waits = ['a', 'b', 'c'].map((name) => marks.record(mark(name)).then(() => settled.push(name)));
    await jest.advanceTimersByTimeAsync(SENT_MARK_WINDOW_MS - 1);
    expect([log.statements, settled]).toEqual([[], []]);
    await jest.advanceTimersByTimeAsync(1);
    await Promise.all(waits);
    expect(log.statements).toEqual([['a', 'b', 'c']]);
    expect(settled).toEqual(['a', 'b', 'c']);
  });

  it('fails only the bad mark: a refused statement is made again one mark at a time', async () => {
    const outcomes = ['a', 'bad', 'c'].map((name) =>
      marks.record(mark(name)).then(
        () => `${name} made`,
        (error: Error) => `${name} ${error.message}`,
      ),
    );
    await jest.advanceTimersByTimeAsync(SENT_MARK_WINDOW_MS);
    expect(await Promise.all(outcomes)).toEqual(['a made', 'bad refused', 'c made']);
    expect(log.statements).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('a lone mark that is refused fails its caller without a second try', async () => {
    const outcome = marks.record(mark('bad')).catch((error: Error) => error.message);
    await jest.advanceTimersByTimeAsync(SENT_MARK_WINDOW_MS);
    expect(await outcome).toBe('refused');
    expect(log.statements).toEqual([['bad']]);
  });

  it('does not wait out the window once a statement is full', async () => {
    const waits = Array.from({ length: SENT_MARKS_PER_STATEMENT }, (_, i) => marks.record(mark(`m${i}`)));
    await Promise.all(waits);
    expect(log.statements).toHaveLength(1);
    expect(log.statements[0]).toHaveLength(SENT_MARKS_PER_STATEMENT);
  });
});
