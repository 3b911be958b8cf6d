import { APP_CONFIG, AppConfig } from '@app/config';
import { redisConnection, WithdrawalChanges } from '@app/queue';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import IORedis from 'ioredis';
import { DependencyOutages } from '../health/dependency-outages';

/**
 * This API instance's ear on the change feed (WithdrawalChanges): one Redis subscription for the whole
 * instance, handed out by withdrawal id to whoever watches it (the event streams).
 */
@Injectable()
export class WithdrawalChangeFeed implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WithdrawalChangeFeed.name);
  private readonly subscriber: IORedis;
  private readonly watchers = new Map<string, Set<() => void>>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly changes: WithdrawalChanges,
    outages: DependencyOutages,
  ) {
    this.subscriber = new IORedis(redisConnection(config.redisUrls.api));
    // Reconnects by itself; the streams' own periodic look covers the gap. The outage is logged once.
    this.subscriber.on('error', (error: unknown) => outages.report('redis', error));
    this.subscriber.on('message', (_channel: string, id: string) => this.watchers.get(id)?.forEach((watcher) => watcher()));
  }

  onModuleInit(): void {
    // Not awaited: the API starts (and answers 503 where it must) while Redis is away; ioredis subscribes once it is back.
    this.subscriber.subscribe(this.changes.channel).catch((error: unknown) => this.logger.warn(`change feed: ${(error as Error).message}`));
  }

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
  }

  /** Calls `watcher` whenever the withdrawal may have changed; returns the way to stop. */
  watch(withdrawalId: string, watcher: () => void): () => void {
    const set = this.watchers.get(withdrawalId) ?? new Set();
    set.add(watcher);
    this.watchers.set(withdrawalId, set);
    return () => {
      set.delete(watcher);
      if (!set.size) this.watchers.delete(withdrawalId);
    };
  }
}
