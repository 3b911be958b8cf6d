import { APP_CONFIG, AppConfig } from '@app/config';
import { Transactions } from '@app/database';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { StoppableRedis } from './stoppable-redis';
import { OutageLog } from './liveness/outage-log';
import { redisConnection } from './redis-connection';

/** The connection changes are published on: this app's own Redis user, no offline queue to pile up. */
@Injectable()
export class ChangePublisher extends StoppableRedis implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super({ ...redisConnection(config.app ? config.redisUrls[config.app] : config.redisUrl), enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    // Without a listener an unreachable Redis would be an unhandled 'error' event.
    this.on('error', () => undefined);
  }

  onApplicationShutdown(): void {
    this.disconnect();
  }
}

/**
 * Tells every API instance which withdrawals changed, through Redis pub/sub: after each commit that
 * changed a withdrawal (Transactions' commit hook), its id is published on `<prefix>:withdrawal-changes`.
 * A message carries an id and nothing else and only ever makes a reader look again in Postgres, so a
 * forged one costs a read and a lost one (a crash between commit and publish) a delay until the reader's
 * next periodic look.
 */
@Injectable()
export class WithdrawalChanges implements OnModuleInit {
  private readonly logger = new Logger(WithdrawalChanges.name);
  // One line when announcing starts failing and one when it works again, not one per change in between.
  private readonly outage = new OutageLog(this.logger, 'redis (change feed)');
  readonly channel: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly publisher: ChangePublisher,
  ) {
    this.channel = `${config.queuePrefix}:withdrawal-changes`;
  }

  onModuleInit(): void {
    this.transactions.afterCommit((ids) => this.announce(ids));
  }

  /** Publishes each id; a Redis that does not answer delays readers, it never fails the change. */
  announce(ids: readonly string[]): void {
    for (const id of ids) {
      this.publisher.publish(this.channel, id).then(
        () => this.outage.recovered(),
        (error: unknown) => void this.outage.failed(error, 'changes are not announced; readers see them at their next periodic look'),
      );
    }
  }
}
