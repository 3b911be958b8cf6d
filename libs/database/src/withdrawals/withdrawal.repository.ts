import { EndStatus, Factor, FactorDecision, FactorStatus, HoldReason, WithdrawalStatus } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RecordedChange, withChanges } from '../recorded-changes';
import { withdrawalChanged } from '../transactions';
import type { WithdrawalAddress } from '../addresses/withdrawal-address.repository';
import type { ChallengeRow } from '../challenges/challenge.repository';
import type { PasskeyApprovalProof } from '../passkeys/passkey.repository';
import { PG, refusedBy } from '../postgres-error';
import { TotpCheckFacts, totpCheckFacts, TotpCheckFactsRow } from '../totp/totp.repository';
import type { TotpEnrolmentStatus } from '../totp/totp.entity';
import { Repository } from '../repository';
import { WithdrawalEntity, WithdrawalFactorEntity } from './withdrawal.entity';

export interface NewWithdrawal {
  userId: string;
  addressId: string;
  asset: string;
  network: string;
  address: string;
  amount: string;
  matchCode: string;
  matchChoices: string[];
  idempotencyKey: string;
  requestHash: Buffer;
  requestIp: string | null;
  requestId: string | null;
  expiresAt: Date;
  /** Created held for review (the risk controls), and why; awaiting confirmation otherwise. */
  heldFor?: HoldReason;
}

/** What frontends and operators are shown: the withdrawal and each factor's status. */
export type WithdrawalView = Pick<
  WithdrawalEntity,
  'id' | 'userId' | 'status' | 'asset' | 'network' | 'amount' | 'fee' | 'address' | 'matchCode' | 'createdAt' | 'expiresAt' | 'postedAt' | 'reason'
> & { factors: Record<Factor, FactorStatus>; handedOffAt: Date | null };

/** An open withdrawal as the reconciler sees it: what it still owes the customer, and when it ends. */
export interface OpenWithdrawal {
  id: string;
  expiresAt: Date;
  /** The customer has a verified email address and no email challenge of it was sent yet. */
  emailOwed: boolean;
  /** Live devices whose push challenge was not sent yet. */
  pushesOwed: string[];
}

/** A withdrawal read under its row lock, for a decision in the same transaction. */
export type WithdrawalRow = Readonly<
  Pick<
    WithdrawalEntity,
    'id' | 'userId' | 'asset' | 'network' | 'address' | 'amount' | 'fee' | 'digest' | 'status' | 'matchCode' | 'expiresAt' | 'requestId'
  >
>;

export type FactorState = Pick<WithdrawalFactorEntity, 'factor' | 'status' | 'digest' | 'failures' | 'wrongMatchPicks'>;

/** A withdrawal under its owner's, its own and its factors' row locks (lockForDecision). */
export interface DecisionLocks {
  withdrawal: WithdrawalRow & { readonly accountFrozen: boolean };
  factors: Record<Factor, FactorState>;
}

/** What a posting checks last: whether withdrawals are paused, and the push factor's passkey approval, if it had one. */
export interface PostingFacts {
  paused: boolean;
  approval?: PasskeyApprovalProof;
}

/** A factor's decision, as decideFactor returns it: every factor as it now is, and the facts a posting checks. */
export interface DecidedFactors {
  factors: Record<Factor, FactorState>;
  posting: PostingFacts;
}

type PostingFactsRow = { paused: boolean } & { [K in keyof PasskeyApprovalProof]: PasskeyApprovalProof[K] | null };

/** PostingFactsRow's columns, over a factor row `f` joined to its passkey `p` (only an approved push factor's is). */
const POSTING_FACTS_COLUMNS = `EXISTS (SELECT 1 FROM withdrawal_pause) AS paused, p.credential_id AS "credentialId",
       p.public_key AS "publicKey", f.passkey_assertion AS assertion, f.challenge_id AS "challengeId"`;

function postingFacts({ paused, credentialId, publicKey, assertion, challengeId }: PostingFactsRow): PostingFacts {
  return {
    paused,
    ...(credentialId && publicKey && assertion && challengeId ? { approval: { credentialId, publicKey, assertion, challengeId } } : {}),
  };
}

/** A withdrawal's factor rows, keyed by factor. */
const byFactor = (rows: FactorState[]) => Object.fromEntries(rows.map((r) => [r.factor, r])) as Record<Factor, FactorState>;

/** A challenge found by one of its tokens: the token's hash is there. */
export type TokenChallenge = ChallengeRow & { tokenHash: Buffer };

/** A challenge as lockForTokenDecision reads it: in JSON, its hashes hex and its time a string. */
type ChallengeJson = Omit<ChallengeRow, 'tokenHash' | 'digest' | 'consumedAt'> & { tokenHash: string; digest: string; consumedAt: string | null };

/** The factors as withdrawal_decision_locks answers them: in JSON, the digest hex. */
type FactorJson = Omit<FactorState, 'digest'> & { digest: string | null };

/**
 * A factor's outcome, with the evidence that decided it: an approval is bound to the digest it was given for,
 * and names the challenge (email, push) or the TOTP enrolment that proved it — the ledger guard checks that
 * these predate the withdrawal.
 */
export interface FactorOutcome {
  status: FactorDecision;
  evidence: string;
  digest?: Buffer | null;
  challengeId?: string;
  enrolmentId?: string;
}

/**
 * The withdrawal whose id is the parameter `id` ("$1") as a message shows it (WithdrawalForMessage), with its
 * owner's address and anti-phishing code: a statement of its own, or a clause of one that also delivers the
 * message (ChallengeRepository.take, SentNotificationRepository.leaseWithdrawalMessage).
 */
export const withdrawalForMessage = (
  id: string,
) => `SELECT w.id, w.user_id AS "userId", w.asset, w.network, w.amount::text AS amount, w.address, w.digest, w.status, w.reason,
         w.created_at AS "createdAt", w.expires_at AS "expiresAt", w.request_ip AS "requestIp",
         u.email, u.email_verified_at IS NOT NULL AS "emailVerified", a.code AS "antiPhishingCode"
    FROM withdrawals w
    LEFT JOIN users u ON u.id = w.user_id
    LEFT JOIN anti_phishing_codes a ON a.user_id = w.user_id
   WHERE w.id = ${id}`;

/** What a message about a withdrawal shows (the page shows the same, where it was requested from included). */
export type WithdrawalForMessage = Pick<
  WithdrawalEntity,
  'id' | 'userId' | 'asset' | 'network' | 'amount' | 'address' | 'digest' | 'status' | 'reason' | 'createdAt' | 'expiresAt' | 'requestIp'
> & {
  /** The owner's address (null until one is verified or set) and whether it is verified. */
  email: string | null;
  emailVerified: boolean;
  /** The owner's anti-phishing code, when they chose one. */
  antiPhishingCode: string | null;
};

/**
 * What a new withdrawal request is checked against before its transaction, read in one statement: an
 * earlier request with the same idempotency key, the pause, the customer's account and factors, and the
 * address (undefined fields: the customer, the earlier request or the address does not exist).
 */
export interface WithdrawalRequestFacts {
  replay: { id: string; requestHash: Buffer } | undefined;
  paused: boolean;
  customerKnown: boolean;
  emailVerified: boolean;
  withdrawalsFrozen: boolean;
  withdrawalsLockedUntil: Date | null;
  totpActive: boolean;
  liveDevices: number;
  livePasskeys: number;
  address: WithdrawalAddress | undefined;
}

/** The statement's flat row: the earlier request's and the address's columns side by side. */
type RequestFactsRow = Omit<WithdrawalRequestFacts, 'replay' | 'address'> &
  Omit<WithdrawalAddress, 'id'> & { replayId: string | null; replayHash: Buffer | null; addressId: string | null };

/** Why Postgres refused a new withdrawal. */
export type WithdrawalRefusal = 'insufficient_funds' | 'account_frozen' | 'duplicate_idempotency_key' | 'withdrawals_paused';

/** A withdrawal's own columns as WithdrawalView names them (unqualified, so that RETURNING can use them too). */
const VIEW_COLUMNS = `id, user_id AS "userId", status, asset, network, amount::text AS amount, fee::text AS fee, address,
         match_code AS "matchCode", created_at AS "createdAt", expires_at AS "expiresAt", posted_at AS "postedAt", reason,
         handed_off_at AS "handedOffAt"`;

const VIEW = `
  SELECT ${VIEW_COLUMNS},
         (SELECT json_object_agg(f.factor, f.status) FROM withdrawal_factors f WHERE f.withdrawal_id = w.id) AS factors
    FROM withdrawals w`;

/** `withdrawals` and `withdrawal_factors`: a withdrawal's details, status and the state of its three factors. */
@Injectable()
export class WithdrawalRepository extends Repository {
  async findByIdempotencyKey(userId: string, key: string, m?: EntityManager): Promise<{ id: string; requestHash: Buffer } | undefined> {
    return this.row<{ id: string; requestHash: Buffer }>(
      'SELECT id, request_hash AS "requestHash" FROM withdrawals WHERE user_id = $1 AND idempotency_key = $2',
      [userId, key],
      m,
    );
  }

  /**
   * The facts a new request is checked against (see WithdrawalRequestFacts), in one round trip instead of
   * one per table: every part is an index lookup by the customer, or the pause's single row.
   */
  async requestFacts(userId: string, idempotencyKey: string, addressId: string): Promise<WithdrawalRequestFacts> {
    const [row] = await this.rows<RequestFactsRow>(
      `SELECT r.id AS "replayId", r.request_hash AS "replayHash",
              EXISTS (SELECT 1 FROM withdrawal_pause) AS paused,
              u.id IS NOT NULL AS "customerKnown",
              u.email_verified_at IS NOT NULL AS "emailVerified",
              u.withdrawals_frozen_at IS NOT NULL AS "withdrawalsFrozen",
              u.withdrawals_locked_until AS "withdrawalsLockedUntil",
              EXISTS (SELECT 1 FROM totp_enrolments WHERE user_id = $1 AND status = 'active') AS "totpActive",
              (SELECT count(*)::int FROM push_subscriptions WHERE user_id = $1 AND retired_at IS NULL) AS "liveDevices",
              (SELECT count(*)::int FROM passkeys WHERE user_id = $1 AND revoked_at IS NULL) AS "livePasskeys",
              a.id AS "addressId", a.asset, a.network, a.address, a.label, a.created_at AS "createdAt", a.usable_at AS "usableAt"
         FROM (SELECT 1) AS one
         LEFT JOIN users u ON u.id = $1
         LEFT JOIN withdrawals r ON r.user_id = $1 AND r.idempotency_key = $2
         LEFT JOIN withdrawal_addresses a ON a.id = $3 AND a.user_id = $1 AND a.deleted_at IS NULL`,
      [userId, idempotencyKey, addressId],
    );
    const { replayId, replayHash, addressId: foundAddress, asset, network, address, label, createdAt, usableAt, ...rest } = row;
    return {
      ...rest,
      replay: replayId && replayHash ? { id: replayId, requestHash: replayHash } : undefined,
      address: foundAddress ? { id: foundAddress, asset, network, address, label, createdAt, usableAt } : undefined,
    };
  }

  /**
   * A new withdrawal, in one statement: inserted awaiting confirmation, or held with its reason (its three
   * factor rows are made by trigger), its hold placed (ledger_reserve, which Postgres refuses beyond the
   * available balance), and the `alongside` changes that name it (its jobs, audit entry, risk keys) made
   * with it, all or nothing. The id is the caller's (a random UUID), so that those changes can carry it.
   * ledger_reserve is volatile, so it sees the row the statement's own INSERT made; it runs once per row
   * that INSERT returns. Answers the withdrawal as `view` would read it, with no statement more.
   */
  async request(m: EntityManager, w: NewWithdrawal & { id: string }, alongside: RecordedChange[]): Promise<WithdrawalView> {
    const insert = `w AS (
      INSERT INTO withdrawals (id, user_id, address_id, asset, network, address, amount, match_code, match_choices,
                               idempotency_key, request_hash, request_ip, expires_at, status, reason, request_id)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
      RETURNING ${VIEW_COLUMNS})`;
    const statement = withChanges(
      alongside,
      'SELECT ledger_reserve(w.id) AS transfer, w.* FROM w',
      [
        w.id,
        w.userId,
        w.addressId,
        w.asset,
        w.network,
        w.address,
        w.amount,
        w.matchCode,
        w.matchChoices,
        w.idempotencyKey,
        w.requestHash,
        w.requestIp,
        w.expiresAt,
        w.heldFor ? 'held' : 'pending_confirmation',
        w.heldFor ?? null,
        w.requestId,
      ],
      [insert],
    );
    const [{ transfer: _hold, ...view }] = await this.rows<Omit<WithdrawalView, 'factors'> & { transfer: string }>(
      statement.sql,
      statement.params,
      m,
    );
    withdrawalChanged(m, w.id);
    // Its factors, made by its trigger after the row (so not in RETURNING), are all pending: none was decided yet.
    return { ...view, factors: { email: 'pending', push: 'pending', totp: 'pending' } };
  }

  /** The reason Postgres gave for refusing a new withdrawal (or its hold), if it was one of ours. */
  refusal(error: unknown): WithdrawalRefusal | undefined {
    if (refusedBy(error, PG.checkViolation, 'ledger_accounts_no_overdraft')) return 'insufficient_funds';
    if (refusedBy(error, PG.checkViolation, 'ledger_account_frozen')) return 'account_frozen';
    if (refusedBy(error, PG.uniqueViolation, 'withdrawals_user_id_idempotency_key_key')) return 'duplicate_idempotency_key';
    if (refusedBy(error, PG.checkViolation, 'withdrawals_paused')) return 'withdrawals_paused';
    return undefined;
  }

  async view(id: string, ownerId?: string, m?: EntityManager): Promise<WithdrawalView | undefined> {
    return this.row<WithdrawalView>(`${VIEW} WHERE w.id = $1 AND ($2::text IS NULL OR w.user_id = $2)`, [id, ownerId ?? null], m);
  }

  /** Newest first, keyset-paginated by (created_at, id); one more than `limit` tells whether a next page exists. */
  async page(
    filter: { ownerId?: string; status?: WithdrawalStatus; after?: { createdAt: string; id: string } },
    limit: number,
  ): Promise<WithdrawalView[]> {
    return this.rows<WithdrawalView>(
      `${VIEW} WHERE ($1::text IS NULL OR w.user_id = $1) AND ($2::text IS NULL OR w.status = $2)
         AND ($3::timestamptz IS NULL OR (w.created_at, w.id) < ($3::timestamptz, $4::uuid))
       ORDER BY w.created_at DESC, w.id DESC LIMIT $5`,
      [filter.ownerId ?? null, filter.status ?? null, filter.after?.createdAt ?? null, filter.after?.id ?? null, limit + 1],
    );
  }

  /**
   * Locks the withdrawal's row. Decisions lock its owner first (CustomerRepository.lock), then this, then
   * its factors: one order everywhere, so concurrent verdicts on one customer never deadlock.
   */
  async lockRow(m: EntityManager, id: string): Promise<WithdrawalRow | undefined> {
    return this.row<WithdrawalRow>(
      `SELECT id, user_id AS "userId", asset, network, address, amount::text AS amount, fee::text AS fee, digest, status,
              match_code AS "matchCode", expires_at AS "expiresAt", request_id AS "requestId"
         FROM withdrawals WHERE id = $1 FOR UPDATE`,
      [id],
      m,
    );
  }

  /**
   * Finds the withdrawal by id (and owner, when given) or by a challenge token's hash, locks its owner, it and
   * its factors in that order, and reads them: one round trip (withdrawal_decision_locks). Undefined when
   * there is no such withdrawal, token or owner.
   */
  async lockForDecision(m: EntityManager, by: { withdrawalId: string; ownerId?: string }): Promise<DecisionLocks | undefined> {
    return (await this.decisionLocks(m, 'SELECT * FROM withdrawal_decision_locks($1, NULL, $2)', [by.withdrawalId, by.ownerId ?? null]))?.locks;
  }

  /**
   * As lockForDecision, and then what a TOTP check reads first (totp_check_facts: the owner's recent failures
   * and newest enrolment in `check.status`; totp_steps_used: the owner's steps used from `stepsUsedFrom`),
   * read after the locks were granted: one round trip.
   */
  async lockForTotpDecision(
    m: EntityManager,
    by: { withdrawalId: string; ownerId: string },
    check: { status: TotpEnrolmentStatus; windowSeconds: number; limit: number; stepsUsedFrom: number },
  ): Promise<(DecisionLocks & { totp: TotpCheckFacts; usedSteps: number[] }) | undefined> {
    // The LATERALs run after the function has taken its locks; totp_check_facts and totp_steps_used, volatile, read then.
    const found = await this.decisionLocks(
      m,
      `SELECT d.*, to_jsonb(t) AS totp, u.steps AS "usedSteps" FROM withdrawal_decision_locks($1, NULL, $2) d
         CROSS JOIN LATERAL totp_check_facts(d."userId", $3, $4, $5) t
         CROSS JOIN LATERAL totp_steps_used(d."userId", $6) u(steps)`,
      [by.withdrawalId, by.ownerId, check.status, check.windowSeconds, check.limit, check.stepsUsedFrom],
    );
    if (!found?.totp) return undefined;
    // bigint[] arrives as strings; steps are well inside a double's integers.
    return { ...found.locks, totp: totpCheckFacts(found.totp), usedSteps: (found.usedSteps ?? []).map(Number) };
  }

  /**
   * As lockForDecision, by a challenge token's hash, and then the token's challenge locked too (last, the
   * order WithdrawalLocks keeps), in the same round trip. The challenge is read under its lock: one decided
   * while this waited for the owner's lock is seen consumed. With it, how many of the owner's passkeys may
   * approve the withdrawal (PasskeyRepository.credentialsForWithdrawal's). Undefined for an unknown token.
   */
  async lockForTokenDecision(
    m: EntityManager,
    tokenHash: Buffer,
  ): Promise<(DecisionLocks & { challenge: TokenChallenge; passkeys: number }) | undefined> {
    // The LATERAL refers to the function's row, so it runs after the function has taken its locks.
    const found = await this.decisionLocks(
      m,
      `SELECT d.*, c.challenge, k.passkeys FROM withdrawal_decision_locks(NULL, $1, NULL) d
         LEFT JOIN LATERAL (
           SELECT jsonb_build_object('id', c.id, 'withdrawalId', c.withdrawal_id, 'factor', c.factor, 'tokenHash', encode(t.token_hash, 'hex'),
                                     'digest', encode(c.digest, 'hex'), 'consumedAt', c.consumed_at) AS challenge
             FROM challenge_tokens t JOIN challenges c ON c.id = t.challenge_id
            WHERE t.token_hash = $1 AND c.withdrawal_id = d.id
              FOR UPDATE OF c) c ON true
         CROSS JOIN LATERAL (
           SELECT count(*)::int AS passkeys FROM passkeys p JOIN withdrawals w ON w.user_id = p.user_id
            WHERE w.id = d.id AND p.revoked_at IS NULL AND p.created_at <= w.created_at) k`,
      [tokenHash],
    );
    const c = found?.challenge;
    if (!c) return undefined;
    const challenge: TokenChallenge = {
      ...c,
      tokenHash: Buffer.from(c.tokenHash, 'hex'),
      digest: Buffer.from(c.digest, 'hex'),
      consumedAt: c.consumedAt === null ? null : new Date(c.consumedAt),
    };
    return { ...found.locks, challenge, passkeys: found.passkeys ?? 0 };
  }

  /** A withdrawal_decision_locks row, and the challenge a statement read beside it, as the callers use them. */
  private async decisionLocks(
    m: EntityManager,
    sql: string,
    params: unknown[],
  ): Promise<
    { locks: DecisionLocks; challenge: ChallengeJson | null; passkeys?: number; totp?: TotpCheckFactsRow; usedSteps?: string[] } | undefined
  > {
    const row = await this.row<
      DecisionLocks['withdrawal'] & {
        factors: FactorJson[];
        challenge?: ChallengeJson | null;
        passkeys?: number;
        totp?: TotpCheckFactsRow;
        usedSteps?: string[];
      }
    >(sql, params, m);
    if (!row) return undefined;
    const { factors, challenge = null, passkeys, totp, usedSteps, ...withdrawal } = row;
    const locks = { withdrawal, factors: byFactor(factors.map((f) => ({ ...f, digest: f.digest === null ? null : Buffer.from(f.digest, 'hex') }))) };
    return { locks, challenge, passkeys, totp, usedSteps };
  }

  /**
   * What a posting checks last, in one statement: whether withdrawals are paused (withdrawal_pause), and the
   * passkey approval of the withdrawal's push factor, if it had one. decideFactor reads the same with its decision.
   */
  async beforePosting(m: EntityManager, id: string): Promise<PostingFacts> {
    const [row] = await this.rows<PostingFactsRow>(
      `SELECT ${POSTING_FACTS_COLUMNS}
         FROM (SELECT 1) one
         LEFT JOIN (withdrawal_factors f JOIN passkeys p ON p.id = f.passkey_id)
           ON f.withdrawal_id = $1 AND f.factor = 'push' AND f.status = 'approved'`,
      [id],
      m,
    );
    return postingFacts(row);
  }

  async lockFactors(m: EntityManager, id: string): Promise<Record<Factor, FactorState>> {
    const rows = await this.rows<FactorState>(
      `SELECT factor, status, digest, failures, wrong_match_picks AS "wrongMatchPicks" FROM withdrawal_factors
        WHERE withdrawal_id = $1 ORDER BY factor FOR UPDATE`,
      [id],
      m,
    );
    return byFactor(rows);
  }

  /**
   * Records a factor's outcome and the evidence that decided it (an approval is bound to `digest`); returns
   * all the withdrawal's factors as they now are, and what a posting checks last (beforePosting's facts:
   * the pause, the push factor's passkey approval), in the same statement, with `alongside` (the challenge
   * used, the audit entry) made by it too: one round trip. The caller holds the factors' locks
   * (lockFactors), so the others cannot have changed since this transaction read them.
   */
  async decideFactor(
    m: EntityManager,
    id: string,
    factor: Factor,
    decision: FactorOutcome,
    alongside: RecordedChange[] = [],
  ): Promise<DecidedFactors> {
    const own = [id, factor, decision.status, decision.digest ?? null, decision.evidence, decision.challengeId ?? null, decision.enrolmentId ?? null];
    const columns = 'factor, status, digest, failures, wrong_match_picks, passkey_id, passkey_assertion, challenge_id';
    const decided = `decided AS (
         UPDATE withdrawal_factors SET status = $3, digest = $4, decided_at = now(), evidence = $5, challenge_id = $6, enrolment_id = $7
          WHERE withdrawal_id = $1 AND factor = $2
          RETURNING ${columns})`;
    const statement = withChanges(
      alongside,
      `SELECT f.factor, f.status, f.digest, f.failures, f.wrong_match_picks AS "wrongMatchPicks", ${POSTING_FACTS_COLUMNS}
         FROM (SELECT ${columns} FROM decided
               UNION ALL
               SELECT ${columns} FROM withdrawal_factors WHERE withdrawal_id = $1 AND factor <> $2) f
         LEFT JOIN passkeys p ON p.id = f.passkey_id AND f.factor = 'push' AND f.status = 'approved'`,
      own,
      [decided],
    );
    const rows = await this.rows<FactorState & PostingFactsRow>(statement.sql, statement.params, m);
    withdrawalChanged(m, id);
    const factors = byFactor(
      rows.map(({ factor, status, digest, failures, wrongMatchPicks }) => ({ factor, status, digest, failures, wrongMatchPicks })),
    );
    // Every row carries the pause; only an approved push factor's carries a passkey approval.
    return { factors, posting: postingFacts(rows.find((r) => r.credentialId) ?? rows[0]) };
  }

  async setWrongMatchPicks(m: EntityManager, id: string, factor: Factor, picks: number): Promise<void> {
    await m.query('UPDATE withdrawal_factors SET wrong_match_picks = $3 WHERE withdrawal_id = $1 AND factor = $2', [id, factor, picks]);
  }

  async setTotpFailures(m: EntityManager, id: string, failures: number): Promise<void> {
    await m.query(`UPDATE withdrawal_factors SET failures = $2 WHERE withdrawal_id = $1 AND factor = 'totp'`, [id, failures]);
  }

  /**
   * Marks it posted at the transaction's time (the ledger posting is in the same transaction). `alongside`
   * (its audit entry, its jobs) are made in the same statement (changesAsWithClauses).
   */
  async markPosted(m: EntityManager, id: string, alongside: RecordedChange[] = []): Promise<void> {
    const posted = withChanges(alongside, `UPDATE withdrawals SET status = 'posted', posted_at = now(), decided_at = now() WHERE id = $1`, [id]);
    await m.query(posted.sql, posted.params);
    withdrawalChanged(m, id);
  }

  /** Ends it with a final status; on expiry its still-pending factors expire too. */
  async end(m: EntityManager, id: string, status: EndStatus, reason: string): Promise<void> {
    await m.query('UPDATE withdrawals SET status = $2, reason = $3, decided_at = now() WHERE id = $1', [id, status, reason]);
    if (status === 'expired') {
      await m.query(`UPDATE withdrawal_factors SET status = 'expired' WHERE withdrawal_id = $1 AND status = 'pending'`, [id]);
    }
    withdrawalChanged(m, id);
  }

  /** A held withdrawal goes back to collecting (or having) its confirmations. */
  async release(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE withdrawals SET status = 'pending_confirmation' WHERE id = $1 AND status = 'held'`, [id]);
    withdrawalChanged(m, id);
  }

  async openIdsOfOwner(m: EntityManager, ownerId: string, exceptId: string | null): Promise<string[]> {
    const rows = await this.rows<{ id: string }>(
      `SELECT id FROM withdrawals WHERE user_id = $1 AND id IS DISTINCT FROM $2 AND status IN ('pending_confirmation', 'held') ORDER BY id`,
      [ownerId, exceptId],
      m,
    );
    return rows.map((r) => r.id);
  }

  async openIds(): Promise<string[]> {
    const rows = await this.rows<{ id: string }>(`SELECT id FROM withdrawals WHERE status IN ('pending_confirmation', 'held') ORDER BY created_at`);
    return rows.map((r) => r.id);
  }

  /** Open withdrawals with all three factors approved: those a pause kept from posting. */
  async confirmedOpenIds(): Promise<string[]> {
    const rows = await this.rows<{ id: string }>(
      `SELECT w.id FROM withdrawals w
        WHERE w.status = 'pending_confirmation'
          AND (SELECT count(*) FROM withdrawal_factors f WHERE f.withdrawal_id = w.id AND f.status = 'approved') = 3
        ORDER BY w.created_at`,
    );
    return rows.map((r) => r.id);
  }

  /** Open withdrawals (awaiting confirmation or held) created before `before`, oldest first: the reconciler's view. */
  async openSince(before: Date, limit: number): Promise<OpenWithdrawal[]> {
    return this.rows<OpenWithdrawal>(
      `SELECT w.id, w.expires_at AS "expiresAt",
              (u.email_verified_at IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM challenges c WHERE c.withdrawal_id = w.id AND c.factor = 'email' AND c.sent_at IS NOT NULL)) AS "emailOwed",
              coalesce((SELECT array_agg(c.subscription_id::text ORDER BY c.subscription_id)
                          FROM challenges c JOIN push_subscriptions s ON s.id = c.subscription_id
                         WHERE c.withdrawal_id = w.id AND c.factor = 'push' AND c.sent_at IS NULL AND s.retired_at IS NULL), '{}') AS "pushesOwed"
         FROM withdrawals w JOIN users u ON u.id = w.user_id
        WHERE w.status IN ('pending_confirmation', 'held') AND w.created_at < $1
        ORDER BY w.created_at LIMIT $2`,
      [before, limit],
    );
  }

  /** Posted before `before` and not yet acknowledged by the wallet, oldest first. */
  async awaitingHandOff(before: Date, limit: number): Promise<string[]> {
    const rows = await this.rows<{ id: string }>(
      `SELECT id FROM withdrawals WHERE status = 'posted' AND handed_off_at IS NULL AND posted_at < $1 ORDER BY posted_at LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Records the wallet's acknowledgement, once: its owner and time when this call recorded it, undefined otherwise. */
  async recordHandOff(m: EntityManager, id: string): Promise<{ userId: string; handedOffAt: Date } | undefined> {
    const [row] = await this.updateReturning<{ userId: string; handedOffAt: Date }>(
      m,
      `UPDATE withdrawals SET handed_off_at = now() WHERE id = $1 AND status = 'posted' AND handed_off_at IS NULL
       RETURNING user_id AS "userId", handed_off_at AS "handedOffAt"`,
      [id],
    );
    return row;
  }

  async dueForExpiry(limit: number): Promise<string[]> {
    const rows = await this.rows<{ id: string }>(
      `SELECT id FROM withdrawals WHERE status = 'pending_confirmation' AND expires_at <= now() ORDER BY expires_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * A withdrawal as a message about it shows it, with where its owner is reached and their anti-phishing
   * code, in one statement; in `m`'s transaction when given, otherwise a statement of its own.
   */
  async forMessage(m: EntityManager | undefined, id: string): Promise<WithdrawalForMessage | undefined> {
    return this.row<WithdrawalForMessage>(withdrawalForMessage('$1'), [id], m);
  }

  async countByStatus(): Promise<{ status: WithdrawalStatus; count: number }[]> {
    return this.rows<{ status: WithdrawalStatus; count: number }>('SELECT status, count(*)::int AS count FROM withdrawals GROUP BY status');
  }

  /**
   * Cumulative histograms from Postgres timestamps: for each factor, seconds from a withdrawal's creation
   * to that factor's approval (`key` the factor); and seconds from a posted withdrawal's last approval to
   * its posting (`key` "posting"). Per key: how many fell at or under each bound, their sum and count.
   */
  async confirmationTimings(bounds: readonly number[]): Promise<TimingHistogram[]> {
    return this.rows<TimingHistogram>(
      `WITH d AS (
         SELECT f.factor AS key, extract(epoch FROM f.decided_at - w.created_at)::float AS s
           FROM withdrawal_factors f JOIN withdrawals w ON w.id = f.withdrawal_id
          WHERE f.status = 'approved'
         UNION ALL
         SELECT 'posting', extract(epoch FROM w.posted_at - (SELECT max(f.decided_at) FROM withdrawal_factors f WHERE f.withdrawal_id = w.id))::float
           FROM withdrawals w WHERE w.status = 'posted' AND w.posted_at IS NOT NULL)
       SELECT key,
              array_agg(n ORDER BY le) AS buckets,
              min(total_sum)::float AS sum,
              min(total)::int AS count
         FROM (SELECT key, b.le, count(*) FILTER (WHERE d.s <= b.le)::int AS n, sum(d.s) AS total_sum, count(*) AS total
                 FROM d CROSS JOIN unnest($1::float[]) AS b(le) GROUP BY key, b.le) per_bound
        GROUP BY key`,
      [bounds],
    );
  }
}

/** One key's cumulative histogram: `buckets[i]` observations at or under the i-th bound. */
export interface TimingHistogram {
  key: string;
  buckets: number[];
  sum: number;
  count: number;
}
