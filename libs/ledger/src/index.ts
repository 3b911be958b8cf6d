export * from './amount';
export * from './ledger-verification';
export * from './ledger.module';
export * from './ledger.repository';
