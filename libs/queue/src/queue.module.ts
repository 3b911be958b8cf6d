import { AppConfig, APP_CONFIG } from '@app/config';
import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { Outbox } from './outbox';
import { OutboxRelay } from './outbox-relay';
import { QueueName } from './queue-name';
import { redisConnection } from './redis-connection';

/** BullMQ on the configured Redis and prefix, the three queues, the outbox and this app's relay. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ connection: redisConnection(config.redisUrl), prefix: config.queuePrefix }),
    }),
    BullModule.registerQueue({ name: QueueName.Notifications }, { name: QueueName.Confirmations }, { name: QueueName.WithdrawalsPosted }),
  ],
  providers: [Outbox, OutboxRelay],
  exports: [BullModule, Outbox, OutboxRelay],
})
export class QueueModule {}
