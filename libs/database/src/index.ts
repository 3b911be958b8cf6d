export * from './app-roles';
export * from './audit-log';
export * from './data-source-options';
export * from './database-admin';
export * from './database.module';
export * from './postgres-error';
export * from './update-returning';
export * from './security-change-lock';
