import { APP_CONFIG, AppConfig } from '@app/config';
import { AuditRepository, Transactions, WithdrawalRepository } from '@app/database';
import { QueueName, redisConnection } from '@app/queue';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { QueueEvents } from 'bullmq';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The wallet's acknowledgement: when it completes a withdrawals-posted job (job id = withdrawal id), the
 * hand-off is recorded in Postgres and audited, once. Completions missed while this listener was away are
 * found by the reconciler, which asks Redis for the job's state.
 */
@Injectable()
export class HandOffs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HandOffs.name);
  private events?: QueueEvents;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly withdrawals: WithdrawalRepository,
    private readonly audit: AuditRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.events = new QueueEvents(QueueName.WithdrawalsPosted, {
      connection: redisConnection(this.config.redisUrls[this.config.app ?? 'confirmer']),
      prefix: this.config.queuePrefix,
      // Its connection counts as set up at once (a listener needs no version check: the queues made one).
      // Otherwise a close while Redis is away waits for the connection's setup, which waits for Redis.
      skipWaitingForReady: true,
      skipVersionCheck: true,
    });
    this.events.on('completed', ({ jobId }) => {
      this.record(jobId).catch((error: unknown) =>
        this.logger.warn(`hand-off of ${jobId} not recorded yet (the reconciler will): ${(error as Error).message}`),
      );
    });
    // Connection trouble is retried by ioredis; the reconciler covers what is missed meanwhile.
    this.events.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.events?.close();
  }

  /** Records that the wallet took the withdrawal; whether this call was the one that recorded it. */
  async record(withdrawalId: string): Promise<boolean> {
    if (!UUID.test(withdrawalId)) return false;
    return this.transactions.run(async (m) => {
      const handOff = await this.withdrawals.recordHandOff(m, withdrawalId);
      if (!handOff) return false;
      await this.audit.append(m, {
        event: 'withdrawal_handed_off',
        userId: handOff.userId,
        withdrawalId,
        detail: { handedOffAt: handOff.handedOffAt.toISOString() },
      });
      return true;
    });
  }
}
