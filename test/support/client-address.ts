import { INestApplication } from '@nestjs/common';
import { request } from 'node:http';
import { createApiApp } from '../../apps/api/src/api-app';
import { freePort, TestEnvironment } from './test-suite';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  contentType: string;
}

/**
 * An HTTP request from a chosen loopback source address (127.0.0.2, 127.0.0.3, ...): on Linux all of
 * 127/8 is local, so each test can act as a distinct client IP against an API listening on 127.0.0.1.
 */
export function requestFrom(
  localAddress: string,
  method: string,
  url: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  const headers: Record<string, string> = { ...options.headers };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const contentType = String(res.headers['content-type'] ?? '');
        let body: any = text;
        if (contentType.includes('json') && text) body = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, contentType });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** One more API instance on the same database and Redis (another replica behind the load balancer). */
export async function startExtraApi(env: TestEnvironment): Promise<{ app: INestApplication; baseUrl: string }> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const app = await createApiApp(env.config({ PORT: String(port) }, 'api'), { logger: false });
  await app.listen(port, '127.0.0.1');
  return { app, baseUrl };
}
