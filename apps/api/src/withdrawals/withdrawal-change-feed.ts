import { APP_CONFIG, AppConfig } from '@app/config';
import { redisConnection, StoppableRedis, WithdrawalChanges } from '@app/queue';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DependencyOutages } from '../health/dependency-outages';

/**
 * This API instance's ear on the change feed (WithdrawalChanges): one Redis subscription for the whole
 * instance, handed out by withdrawal id to whoever watches it (the event streams).
 */
@Injectable()
export class WithdrawalChangeFeed implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WithdrawalChangeFeed.name);
  private readonly subscriber: StoppableRedis;
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly everyChange: ((id: string) => void)[] = [];
  private readonly gapListeners: (() => void)[] = [];
  private subscribed = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly changes: WithdrawalChanges,
    outages: DependencyOutages,
  ) {
    this.subscriber = new StoppableRedis(redisConnection(config.redisUrls.api));
    // Reconnects by itself; the streams' own periodic look covers the gap. The outage is logged once.
    this.subscriber.on('error', () => outages.report('redis'));
    this.subscriber.on('message', (_channel: string, id: string) => {
      this.everyChange.forEach((listener) => listener(id));
      this.watchers.get(id)?.forEach((watcher) => watcher());
    });
    // Messages published while the connection was down are lost: whoever relies on every change hears of the gap.
    this.subscriber.on('close', () => {
      this.subscribed = false;
      this.gapListeners.forEach((listener) => listener());
    });
  }

  /** Whether changes are being heard right now (subscribed, connection up). */
  get live(): boolean {
    return this.subscribed && this.subscriber.status === 'ready';
  }

  /** Calls `listener` with every changed withdrawal's id (the status document cache). */
  onEveryChange(listener: (id: string) => void): void {
    this.everyChange.push(listener);
  }

  /** Calls `listener` when changes may have been missed (the subscription's connection closed). */
  onGap(listener: () => void): void {
    this.gapListeners.push(listener);
  }

  onModuleInit(): void {
    // Not awaited: the API starts (and answers 503 where it must) while Redis is away; ioredis subscribes once it is back.
    const subscribe = () =>
      this.subscriber.subscribe(this.changes.channel).then(
        () => (this.subscribed = true),
        (error: unknown) => this.logger.warn(`change feed: ${(error as Error).message}`),
      );
    void subscribe();
    // After a reconnect: subscribed again (idempotent) before changes count as heard.
    this.subscriber.on('ready', () => void subscribe());
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
