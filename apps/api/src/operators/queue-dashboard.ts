import { AppConfig } from '@app/config';
import { EVIDENCE_FIELDS, QueueName } from '@app/queue';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { getQueueToken } from '@nestjs/bullmq';
import { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual, createHash } from 'node:crypto';

export const DASHBOARD_PATH = '/admin/queues';

const redact = (data: unknown) =>
  data && typeof data === 'object'
    ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, (EVIDENCE_FIELDS as readonly string[]).includes(k) ? '[redacted]' : v]))
    : data;

const sameSecret = (a: string, b: string) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

/** Bull Board behind HTTP Basic auth; off unless DASHBOARD_USER and DASHBOARD_PASSWORD are set. Evidence is redacted. */
export async function mountQueueDashboard(app: INestApplication, config: AppConfig): Promise<boolean> {
  if (!config.dashboard) return false;
  const { user, password } = config.dashboard;
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  const queues = Object.values(QueueName).map((name) => {
    const adapter = new BullMQAdapter(app.get<Queue>(getQueueToken(name)));
    adapter.setFormatter('data', redact);
    return adapter;
  });
  createBullBoard({ queues, serverAdapter });
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const [scheme, encoded] = (request.headers.authorization ?? '').split(' ');
      const [u, ...rest] = Buffer.from(encoded ?? '', 'base64')
        .toString()
        .split(':');
      if (scheme !== 'Basic' || !sameSecret(u ?? '', user) || !sameSecret(rest.join(':'), password)) {
        await reply.header('www-authenticate', 'Basic realm="Countersign queues"').status(401).send('authentication required');
      }
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
  return true;
}
