import { QueueName } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DependencyOutages } from './dependency-outages';

/**
 * The API's BullMQ queues report their connection errors to the outage log: without a listener ioredis
 * prints an "Unhandled error event" stack for every failed reconnect while Redis is away.
 */
@Injectable()
export class QueueErrorListeners {
  constructor(
    outages: DependencyOutages,
    @InjectQueue(QueueName.Notifications) notifications: Queue,
    @InjectQueue(QueueName.Confirmations) confirmations: Queue,
    @InjectQueue(QueueName.WithdrawalsPosted) posted: Queue,
  ) {
    for (const queue of [notifications, confirmations, posted]) queue.on('error', (error: unknown) => outages.report('redis', error));
  }
}
