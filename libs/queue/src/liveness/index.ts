export * from './heartbeat';
export * from './liveness-keys';
export * from './liveness-reader';
export * from './liveness-redis';
export * from './liveness.module';
export * from './outage-log';
export * from './peer-outcomes';
