import { QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Queue } from 'bullmq';
import { DependencyOutages } from './dependency-outages';

/**
 * Every BullMQ queue of the API (each name of the enum, so a queue added later is covered too) reports its
 * connection errors to the outage log: without a listener ioredis prints an "Unhandled error event" stack
 * for every failed reconnect while Redis is away.
 */
@Injectable()
export class QueueErrorListeners implements OnModuleInit {
  constructor(
    private readonly outages: DependencyOutages,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    for (const name of Object.values(QueueName)) {
      const queue = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
      queue.on('error', () => this.outages.report('redis'));
    }
  }
}
