export * from './app-config';
export * from './app-key-files';
export * from './config.module';
export * from './dev-keys';
