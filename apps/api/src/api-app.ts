import { AppConfig } from '@app/config';
import { BadRequestException, INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ApiModule } from './api.module';
import { BODY_LIMIT_BYTES, MAX_PARAM_LENGTH } from './api-constants';
import { ProblemFilter } from './http/problem.filter';
import { registerJsonBodyParser, TextFieldsPipe } from './http/request-body';
import { mountQueueDashboard } from './operators/queue-dashboard';

/** A hop count trusts that many proxies nearest to us (proxy-addr's meaning); Fastify's types take it as a function. */
function fastifyTrustProxy(trust: AppConfig['trustProxy']) {
  return typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust;
}

/** Builds the HTTP app (shared by main.ts, the tests and the demo); the caller listens. */
export async function createApiApp(config: AppConfig, options: { logger?: false } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(config),
    new FastifyAdapter({
      trustProxy: fastifyTrustProxy(config.trustProxy),
      bodyLimit: BODY_LIMIT_BYTES,
      routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    }),
    // Nest's JSON parser is replaced by ours (depth limit, prototype poisoning refused); forms keep Nest's.
    { bodyParser: false, ...(options.logger === false ? { logger: false as const } : {}) },
  );
  app.useGlobalFilters(app.get(ProblemFilter));
  registerJsonBodyParser(app.getHttpAdapter().getInstance());
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit: BODY_LIMIT_BYTES });
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
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Countersign')
      .setDescription('Out-of-band withdrawal confirmation: email, web push and TOTP, three of three. See shared/API.md.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  await mountQueueDashboard(app, config);
  app.enableShutdownHooks();
  return app;
}
