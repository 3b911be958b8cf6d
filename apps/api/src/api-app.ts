import { AppConfig } from '@app/config';
import { requestIdOf, requestLogHook } from '@app/logging';
import { BadRequestException, INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger, PinoLogger } from 'nestjs-pino';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ApiModule } from './api.module';
import { BODY_LIMIT_BYTES, MAX_PARAM_LENGTH } from './api-constants';
import { withProblems } from './http/openapi-problems';
import { ProblemFilter } from './http/problem.filter';
import { registerJsonBodyParser, TextFieldsPipe } from './http/request-body';
import { mountQueueDashboard } from './operators/queue-dashboard';
import { WithdrawalStatusRoute, withWithdrawalStatusRoute } from './withdrawals/withdrawal-status.route';

/** A hop count trusts that many proxies nearest to us (proxy-addr's meaning); Fastify's types take it as a function. */
function fastifyTrustProxy(trust: AppConfig['trustProxy']) {
  return typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust;
}

/** Builds the HTTP app (shared by main.ts, the tests and the demo); the caller listens. */
export async function createApiApp(config: AppConfig, options: { logger?: false } = {}): Promise<INestApplication> {
  const quiet = options.logger === false;
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(quiet ? { ...config, logLevel: 'silent' } : config),
    new FastifyAdapter({
      trustProxy: fastifyTrustProxy(config.trustProxy),
      bodyLimit: BODY_LIMIT_BYTES,
      routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
      // Fastify's request id is ours (a well-formed X-Request-Id or a UUID), so pino-http logs that one.
      genReqId: requestIdOf,
    }),
    // Nest's JSON parser is replaced by ours (depth limit, prototype poisoning refused); forms keep Nest's.
    { bodyParser: false, ...(quiet ? { logger: false as const } : { bufferLogs: true }) },
  );
  if (!quiet) app.useLogger(app.get(Logger));
  if (config.corsOrigins.length) {
    // Bearer tokens, never cookies: no credentials. Only the listed origins get CORS headers at all.
    app.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-none-match', 'x-request-id'],
      exposedHeaders: ['etag', 'location', 'retry-after', 'x-request-id'],
      maxAge: 600,
    });
  }
  app.useGlobalFilters(app.get(ProblemFilter));
  const fastify = app.getHttpAdapter().getInstance();
  registerJsonBodyParser(fastify);
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit: BODY_LIMIT_BYTES });
  // Every request's id and its line in the log, for Nest's routes and the poll route alike (request-log.ts).
  fastify.addHook(
    'onRequest',
    requestLogHook(() => PinoLogger.root),
  );
  app.get(WithdrawalStatusRoute).register(fastify);
  app.useGlobalPipes(
    new TextFieldsPipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) =>
        new BadRequestException(errors.flatMap((e) => Object.values(e.constraints ?? { [e.property]: `${e.property} is invalid` }))),
    }),
  );
  const document = withProblems(
    withWithdrawalStatusRoute(
      SwaggerModule.createDocument(
        app,
        new DocumentBuilder()
          .setTitle('Countersign')
          .setDescription('Out-of-band withdrawal confirmation: email, web push and TOTP, three of three. See shared/API.md.')
          .setVersion('1')
          .addBearerAuth()
          .build(),
      ),
    ),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  await mountQueueDashboard(app, config);
  return app;
}
