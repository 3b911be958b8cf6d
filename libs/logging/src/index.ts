export * from './log-redaction';
export * from './logging.module';
export * from './request-context';
export * from './request-log';
