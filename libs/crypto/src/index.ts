export * from './match-code';
export * from './push-encryption';
export * from './tokens';
export * from './totp';
export * from './totp-seal';
export * from './jwt-verifier';
