import { once } from 'node:events';
import { createServer, Server } from 'node:net';
import IORedis from 'ioredis';
import { settleWithin } from './settle-within';
import { StoppableRedis } from './stoppable-redis';

/** A "Redis" on loopback that drops every connection at once: a client of it keeps waiting to reconnect. */
async function droppingPeer(): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as { port: number }).port, server };
}

/** The promise's value, or 'still waiting' if it has not settled within half a second. */
const withinHalfASecond = <T>(promise: Promise<T>) => settleWithin(promise, 500, () => 'still waiting' as const);

describe('StoppableRedis', () => {
  let peer: { port: number; server: Server };
  let client: IORedis;

  async function parkedClient(Client: typeof IORedis): Promise<IORedis> {
    // As BullMQ's connections are: commands wait for a connection without limit. (ioredis's disconnect arms a
    // timer to destroy the long-dead socket; short here, so that jest need not wait its 2 s to exit.)
    const parked = new Client({
      host: '127.0.0.1',
      port: peer.port,
      maxRetriesPerRequest: null,
      retryStrategy: () => 1000,
      disconnectTimeout: 10,
      disableClientInfo: true,
    });
    parked.on('error', () => undefined);
    while (parked.status !== 'reconnecting') await once(parked, 'reconnecting');
    return parked;
  }

  beforeEach(async () => {
    peer = await droppingPeer();
    client = await parkedClient(StoppableRedis);
  });

  afterEach(async () => {
    client.disconnect();
    peer.server.close();
    await once(peer.server, 'close');
  });

  it('disconnected while waiting to reconnect, it ends at once and rejects the command that waited', async () => {
    const waiting = client.get('k').then(
      () => 'answered',
      () => 'rejected',
    );
    const ended = once(client, 'end').then(() => 'ended');
    client.disconnect();
    expect(await withinHalfASecond(ended)).toBe('ended');
    expect(client.status).toBe('end');
    expect(await waiting).toBe('rejected');
  });

  it('asked to quit while waiting to reconnect, behind a waiting command, it says OK and ends', async () => {
    void client.get('k').catch(() => undefined);
    const quit = client.quit();
    expect(await withinHalfASecond(quit)).toBe('OK');
    expect(client.status).toBe('end');
  });

  // Why the class exists: when this fails, ioredis has the fix (redis/ioredis#2169) and the class can go.
  it('plain ioredis, disconnected there, stays reconnecting and never ends', async () => {
    const plain = await parkedClient(IORedis);
    const ended = once(plain, 'end').then(() => 'ended');
    plain.disconnect();
    expect(await withinHalfASecond(ended)).toBe('still waiting');
    expect(plain.status).toBe('reconnecting');
  });
});
