import { AppConfig, APP_CONFIG } from '@app/config';
import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { EvidenceOpener, EvidenceSealer } from './evidence';
import { JobGate } from './job-gate';
import { JobSigner } from './job-signer';
import { Outbox } from './outbox';
import { OutboxRelay } from './outbox-relay';
import { QueueName } from './queue-name';
import { redisConnection } from './redis-connection';
import { ChangePublisher, WithdrawalChanges } from './withdrawal-changes';

/**
 * BullMQ on this app's own Redis user and the prefix, every queue, job signing and checking, the
 * outbox and this app's relay.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        connection: redisConnection(config.app ? config.redisUrls[config.app] : config.redisUrl),
        prefix: config.queuePrefix,
      }),
    }),
    BullModule.registerQueue(...Object.values(QueueName).map((name) => ({ name }))),
  ],
  providers: [JobSigner, JobGate, EvidenceSealer, EvidenceOpener, Outbox, OutboxRelay, ChangePublisher, WithdrawalChanges],
  exports: [BullModule, JobSigner, JobGate, EvidenceSealer, EvidenceOpener, Outbox, OutboxRelay, WithdrawalChanges],
})
export class QueueModule {}
