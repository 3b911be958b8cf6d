import type { LogLevel } from '@app/config';
import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { LoggerOptions } from 'pino';
import { redactUrl, SECRET_SERIALIZERS, withoutSecrets } from './log-redaction';
import { currentRequestContext } from './request-context';

/** One JSON object a line, the same shape in every app: `app`, `requestId` when there is one, secrets redacted. */
export function pinoOptions(app: string, level: LogLevel): LoggerOptions {
  return {
    level,
    base: { app, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: withoutSecrets },
    serializers: SECRET_SERIALIZERS,
    // Requests and jobs (anything run under a request context) log with their request id.
    mixin: () => {
      const context = currentRequestContext();
      return context ? { requestId: context.requestId } : {};
    },
  };
}

/** pinoOptions, and of a request and its response only what may be logged: method, redacted URL, status. */
export function httpLoggerOptions(app: string, level: LogLevel): LoggerOptions {
  return {
    ...pinoOptions(app, level),
    serializers: {
      ...SECRET_SERIALIZERS,
      req: (req: { method?: string; url?: string }) => ({ method: req.method, url: redactUrl(req.url) }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/** For what is logged before Nest is up (or when it fails to start): LOG_LEVEL read as is, before validation. */
export function bootLogger(app: string): pino.Logger {
  const level = process.env.LOG_LEVEL as LogLevel | undefined;
  return pino(pinoOptions(app, level && pino.levels.values[level] !== undefined ? level : 'info'));
}

/**
 * pino through nestjs-pino for an app: Nest's own logs and ours as JSON lines, each with the request id of
 * the request or job it belongs to (the mixin). The API adds the request log (request-log.ts) as a Fastify
 * hook. pino-http's middleware is not mounted: it built two child loggers per request whether or not its
 * line would be written.
 */
@Module({})
export class LoggingModule {
  static forRoot(app: string, level: LogLevel): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          forRoutes: [],
          pinoHttp: httpLoggerOptions(app, level),
        }),
      ],
    };
  }
}
