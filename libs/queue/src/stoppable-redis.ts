import { createIORedisClient, RedisConnection } from 'bullmq';
import IORedis, { Command } from 'ioredis';
// ioredis's own close handling; the upstream fix (redis/ioredis#2169, unreleased) calls the same handler.
import { closeHandler } from 'ioredis/built/redis/event_handler';

/**
 * ioredis that can be stopped while it waits to reconnect. There ioredis's disconnect() cancels the
 * reconnect, but no socket is left whose close would end the client: it stays `reconnecting` for good and
 * never emits `end` (redis/ioredis#1247); quit() waits behind queued commands that will never be sent.
 * BullMQ's Worker.close and Queue.close wait for that end, so an app stopped during a Redis outage never
 * exited. Here such a client ends at once: its status `end`, `end` emitted, its queued commands rejected.
 */
export class StoppableRedis extends IORedis {
  override disconnect(reconnect = false): void {
    const parked = !reconnect && this.status === 'reconnecting';
    super.disconnect(reconnect);
    // super.disconnect has marked the close as manual: the handler ends the client instead of reconnecting.
    if (parked) closeHandler(this)();
  }

  override sendCommand(command: Command, stream?: Parameters<IORedis['sendCommand']>[1]): unknown {
    if (command.name === 'quit' && this.status === 'reconnecting') {
      this.disconnect();
      command.resolve(Buffer.from('OK'));
      return command.promise;
    }
    return super.sendCommand(command, stream);
  }
}

// Every connection BullMQ opens (queues, workers and their blocking connections) is a StoppableRedis.
RedisConnection.clientFactory = (options) => {
  const { url, ...rest } = options as typeof options & { url?: string };
  return createIORedisClient(url ? new StoppableRedis(url, rest) : new StoppableRedis(rest));
};
