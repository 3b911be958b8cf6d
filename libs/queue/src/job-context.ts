import { runWithRequestId } from '@app/logging';
import { Logger } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';

const logger = new Logger('Job');

/**
 * Runs a consumer's handling of `job` under the request id the job carries (set by JobSigner from the
 * request that led to it, or a new one): every line it logs and every job it produces carries that id.
 * One line per job: its queue, name, id, outcome and time, never its data.
 */
export async function runJob<T>(job: Job, handle: () => Promise<T>): Promise<T> {
  const carried = (job.data as { requestId?: unknown } | undefined)?.requestId;
  return runWithRequestId(typeof carried === 'string' ? carried : undefined, async () => {
    const started = performance.now();
    const what = `${job.queueName}/${job.name} ${job.id ?? '?'}`;
    try {
      const result = await handle();
      logger.log(`job ${what} done in ${Math.round(performance.now() - started)} ms`);
      return result;
    } catch (error) {
      // Moved back to wait on purpose (its turn will come): not a failure, and not an attempt.
      if (error instanceof DelayedError) logger.debug(`job ${what} deferred after ${Math.round(performance.now() - started)} ms`);
      else logger.warn(`job ${what} failed after ${Math.round(performance.now() - started)} ms: ${(error as Error).message}`);
      throw error;
    }
  });
}
