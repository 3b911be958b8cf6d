import { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { InitialSchema1763900000000 } from './migrations/1763900000000-initial-schema';
import { Ledger1763900000001 } from './migrations/1763900000001-ledger';
import { AppRoles1763900000002 } from './migrations/1763900000002-app-roles';
import { WithdrawalPause1763900000003 } from './migrations/1763900000003-withdrawal-pause';
import { ChallengeClaims1763900000004 } from './migrations/1763900000004-challenge-claims';
import { TrustBoundaries1764400000000 } from './migrations/1764400000000-trust-boundaries';
import { FactorChanges1764400000001 } from './migrations/1764400000001-factor-changes';
import { RiskControls1764500000000 } from './migrations/1764500000000-risk-controls';
import { AuditChain1764500000001 } from './migrations/1764500000001-audit-chain';
import { Passkeys1764700000000 } from './migrations/1764700000000-passkeys';
import { AntiPhishingCodes1764700000001 } from './migrations/1764700000001-anti-phishing-codes';
import { RedisMayForget1764810000000 } from './migrations/1764810000000-redis-may-forget';
import { WithdrawalRequestIds1764820000000 } from './migrations/1764820000000-withdrawal-request-ids';
import { LedgerHotPath1764900000000 } from './migrations/1764900000000-ledger-hot-path';
import { OutcomeEmailLease1764900000001 } from './migrations/1764900000001-outcome-email-lease';
import { DecisionLocks1765000000000 } from './migrations/1765000000000-decision-locks';
import { PushFanOut1765100000000 } from './migrations/1765100000000-push-fan-out';
import { WithdrawalIdsFromApi1765200000000 } from './migrations/1765200000000-withdrawal-ids-from-api';
import { ReserveLocksCustomerFirst1765200000001 } from './migrations/1765200000001-reserve-locks-customer-first';
import { TotpCheckFacts1765300000000 } from './migrations/1765300000000-totp-check-facts';
import { ChallengeFanOutOnPushes1765400000000 } from './migrations/1765400000000-challenge-fan-out-on-pushes';
import { PushFanOutClaims1765500000000 } from './migrations/1765500000000-push-fan-out-claims';
import { TotpStepsUsed1765600000000 } from './migrations/1765600000000-totp-steps-used';

export const MIGRATIONS = [
  InitialSchema1763900000000,
  Ledger1763900000001,
  AppRoles1763900000002,
  WithdrawalPause1763900000003,
  ChallengeClaims1763900000004,
  TrustBoundaries1764400000000,
  FactorChanges1764400000001,
  RiskControls1764500000000,
  AuditChain1764500000001,
  Passkeys1764700000000,
  AntiPhishingCodes1764700000001,
  RedisMayForget1764810000000,
  WithdrawalRequestIds1764820000000,
  LedgerHotPath1764900000000,
  OutcomeEmailLease1764900000001,
  DecisionLocks1765000000000,
  PushFanOut1765100000000,
  WithdrawalIdsFromApi1765200000000,
  ReserveLocksCustomerFirst1765200000001,
  TotpCheckFacts1765300000000,
  ChallengeFanOutOnPushes1765400000000,
  PushFanOutClaims1765500000000,
  TotpStepsUsed1765600000000,
];

/** The schema belongs to the migrations alone (never synchronised); the entities describe it to the repositories. */
export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    poolSize,
    extra: { application_name: 'countersign' },
  };
}
