import { AppConfig } from '@app/config';
import { QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { basicAuthMatches } from '../http/basic-auth';

export const DASHBOARD_PATH = '/admin/queues';

/** What the dashboard shows of a job's data: its ids and parameters, never the sealed evidence or the signature bytes. */
const HIDDEN: Record<string, (value: unknown) => unknown> = {
  sealed: () => '[sealed to the confirmation service]',
  signature: (signature) => ({ producer: (signature as { producer?: unknown } | null)?.producer ?? null, signed: true }),
};

const redact = (data: unknown) =>
  data && typeof data === 'object' ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, HIDDEN[k] ? HIDDEN[k](v) : v])) : data;

/**
 * Bull Board behind HTTP Basic auth; off unless DASHBOARD_USER and DASHBOARD_PASSWORD are set. Read-only
 * unless DASHBOARD_ALLOW_ACTIONS: no add, retry, promote, clean or remove, refused twice over (Bull Board's
 * own read-only mode, and no method but GET and HEAD past the login). Evidence is never shown.
 */
export async function mountQueueDashboard(app: INestApplication, config: AppConfig): Promise<boolean> {
  if (!config.dashboard) return false;
  const { user, password, allowActions } = config.dashboard;
  // Loaded only when the dashboard is on: Bull Board brings lodash (whole), valibot and ejs, about 2 MB of
  // source an API without a dashboard would keep in memory for nothing.
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/fastify'),
  ]);
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  const queues = Object.values(QueueName).map((name) => {
    const adapter = new BullMQAdapter(app.get<Queue>(getQueueToken(name)), { readOnlyMode: !allowActions, allowRetries: allowActions });
    adapter.setFormatter('data', redact);
    return adapter;
  });
  createBullBoard({ queues, serverAdapter });
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!basicAuthMatches(request.headers.authorization, user, password)) {
        await reply.header('www-authenticate', 'Basic realm="Countersign queues"').status(401).send('authentication required');
        return;
      }
      if (!allowActions && request.method !== 'GET' && request.method !== 'HEAD') {
        await reply.header('allow', 'GET, HEAD').status(405).send('the queue dashboard is read-only (DASHBOARD_ALLOW_ACTIONS)');
      }
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
  return true;
}
