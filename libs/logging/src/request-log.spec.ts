import { once } from 'node:events';
import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { LogLevel } from '@app/config';
import { httpLoggerOptions } from './logging.module';
import { requestLogMiddleware } from './request-log';

type Line = { level: number; msg: string; requestId?: string; req?: { method: string; url: string }; res?: { statusCode: number } };

/** A real HTTP server on loopback with the apps' request log middleware in front of `handle`. */
async function serve(level: LogLevel, handle: (req: IncomingMessage, res: ServerResponse, log: pino.Logger) => void) {
  const lines: Line[] = [];
  const logger = pino(
    httpLoggerOptions('test', level),
    new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString()) as Line), done()) }),
  );
  const middleware = requestLogMiddleware(() => logger);
  const server: Server = createServer((req, res) => middleware(req, res, () => handle(req, res, logger)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const send = (method: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; requestId: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: String(res.headers['x-request-id']) }));
      });
      req.on('error', reject);
      req.end();
    });
  const settled = () => new Promise((r) => setTimeout(r, 50));
  return { lines, send, settled, port, close: () => new Promise((r) => server.close(r)) };
}

describe('request log', () => {
  it('a read answered well is a debug line: at info nothing is written, at debug one line with the request id', async () => {
    for (const level of ['info', 'debug'] as const) {
      const s = await serve(level, (_req, res) => res.end('{}'));
      const answer = await s.send('GET', '/v1/withdrawals/w-1', { 'x-request-id': 'frontend-12345' });
      await s.settled();
      await s.close();
      expect(answer).toEqual({ status: 200, requestId: 'frontend-12345' });
      expect(s.lines).toEqual(
        level === 'info'
          ? []
          : [
              expect.objectContaining({
                level: 20,
                msg: 'request completed',
                requestId: 'frontend-12345',
                req: { method: 'GET', url: '/v1/withdrawals/w-1' },
                res: { statusCode: 200 },
              }),
            ],
      );
    }
  });

  it("writes at info, a client's refusal at warn, a failure at error; a link's token and the headers are never written", async () => {
    const statuses: Record<string, number> = { '/ok': 202, '/refused': 409, '/failed': 503 };
    const s = await serve('info', (req, res) => {
      res.statusCode = statuses[req.url ?? ''] ?? 200;
      res.end();
    });
    await s.send('POST', '/ok', { authorization: 'Bearer secret-bearer' });
    await s.send('POST', '/refused');
    await s.send('POST', '/failed');
    await s.send('POST', '/confirm/link-token-abcdef?x=1');
    await s.settled();
    await s.close();
    expect(s.lines.map((l) => [l.level, l.msg, l.req?.url, l.res?.statusCode])).toEqual([
      [30, 'request completed', '/ok', 202],
      [40, 'request completed', '/refused', 409],
      [50, 'request errored', '/failed', 503],
      [30, 'request completed', '/confirm/[redacted]?[redacted]', 200],
    ]);
    const written = JSON.stringify(s.lines);
    for (const secret of ['link-token-abcdef', 'secret-bearer', 'authorization']) expect(written).not.toContain(secret);
  });

  it('what the handler logs carries the request id; a malformed X-Request-Id is replaced', async () => {
    const s = await serve('info', (_req, res, log) => {
      setImmediate(() => {
        log.info('inside');
        res.end();
      });
    });
    const answer = await s.send('POST', '/x', { 'x-request-id': 'bad id' });
    await s.settled();
    await s.close();
    expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.lines.map((l) => [l.msg, l.requestId])).toEqual([
      ['inside', answer.requestId],
      ['request completed', answer.requestId],
    ]);
  });

  it('a request the client gave up on before the answer is a warn line', async () => {
    let gone!: () => void;
    const closed = new Promise<void>((r) => (gone = r));
    const s = await serve('info', (_req, res) => res.on('close', () => setImmediate(gone)));
    const req = request({ host: '127.0.0.1', port: s.port, method: 'GET', path: '/slow' });
    req.on('error', () => undefined); // the abort below is the point
    req.end();
    await new Promise((r) => setTimeout(r, 100));
    req.destroy();
    await closed;
    await s.close();
    expect(s.lines.map((l) => [l.level, l.msg, l.req?.url])).toEqual([[40, 'request aborted', '/slow']]);
  });
});
