import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';

/** A push whose service already holds its share of the push slots; its job waits its turn (not an attempt). */
export class PushServiceBusy extends Error {}

/** How soon a push whose service was busy is tried again: this, up to twice this, spread so that they do not all return at once. */
export const PUSH_SERVICE_BUSY_DELAY_MS = 1_000;

/**
 * Each push service's share of this worker's push slots: all but a quarter of PUSH_CONCURRENCY (all but one
 * at least; a single slot is shared). A service that hangs holds its share for PUSH_TIMEOUT at a time, and
 * the other services' pushes, other customers' among them, keep the rest; without a share it would hold
 * every slot and silence them all. Three quarters rather than half: most customers' browsers use one
 * service, whose bursts should rarely wait (half of 16 deferred about two pushes a withdrawal in the bench).
 */
@Injectable()
export class PushServiceSlots {
  readonly perService: number;
  private readonly inUse = new Map<string, number>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const slots = config.delivery.pushConcurrency;
    this.perService = Math.max(1, slots - Math.max(1, Math.floor(slots / 4)));
  }

  /** Runs `push` in one of the slots of `endpoint`'s service; throws PushServiceBusy, running nothing, when none is free. */
  async run<T>(endpoint: string, push: () => Promise<T>): Promise<T> {
    const service = new URL(endpoint).origin;
    const used = this.inUse.get(service) ?? 0;
    if (used >= this.perService) throw new PushServiceBusy(`push service ${service} is using its ${this.perService} push slots`);
    this.inUse.set(service, used + 1);
    try {
      return await push();
    } finally {
      const left = (this.inUse.get(service) ?? 1) - 1;
      if (left > 0) this.inUse.set(service, left);
      else this.inUse.delete(service);
    }
  }
}

/**
 * A job's work; when it meets a busy push service, the job goes back to wait 1-2 s and frees its worker slot,
 * without counting an attempt (BullMQ's moveToDelayed and DelayedError). While a service hangs, each of its
 * pending pushes comes round about once a second or so: a Redis script and a fetch each time.
 */
export async function deferWhilePushServiceBusy<T>(job: Job, token: string | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof PushServiceBusy) || token === undefined) throw error;
    await job.moveToDelayed(Date.now() + Math.round(PUSH_SERVICE_BUSY_DELAY_MS * (1 + Math.random())), token);
    throw new DelayedError();
  }
}
