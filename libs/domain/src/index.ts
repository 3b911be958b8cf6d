export * from './amount';
export * from './factor';
export * from './presentation';
export * from './problem-codes';
export * from './push-endpoints';
export * from './settlement';
export * from './verdict';
export * from './withdrawal-status';
