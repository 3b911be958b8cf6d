import { RecordedChange, RecordedChangeRepository } from '@app/database';
import { Injectable } from '@nestjs/common';

/** How long a delivery's "sent" mark waits for others to share its statement (the outbox's marks wait as long). */
export const SENT_MARK_WINDOW_MS = 50;

/** The most marks one statement makes; more waiting are made at once, in the next. */
export const SENT_MARKS_PER_STATEMENT = 100;

interface WaitingMark {
  changes: RecordedChange[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Records deliveries as sent, the marks of one moment in one statement: at a busy worker's rate, one
 * statement and one commit for several messages instead of one each. Each caller waits for its own mark's
 * commit (its job finishes only then, so a mark that fails retries the job, as before), at most the window
 * longer than alone. A statement that fails is made again one mark at a time, so that a bad mark fails its
 * own job only.
 */
@Injectable()
export class SentMarks {
  private waiting: WaitingMark[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly changes: RecordedChangeRepository) {}

  /** Makes `changes` (a delivery's mark and its audit entry) with the others of its window; resolves once committed. */
  record(changes: RecordedChange[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ changes, resolve, reject });
      if (this.waiting.length >= SENT_MARKS_PER_STATEMENT) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), SENT_MARK_WINDOW_MS);
    });
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    try {
      await this.changes.make(batch.flatMap((mark) => mark.changes));
      for (const mark of batch) mark.resolve();
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      await Promise.all(batch.map((mark) => this.changes.make(mark.changes).then(mark.resolve, mark.reject)));
    }
  }
}
