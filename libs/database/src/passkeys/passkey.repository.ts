import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Repository } from '../repository';
import { PasskeyEntity } from './passkey.entity';

/** A passkey as the customer's list shows it: never its key. */
export type PasskeyListing = Pick<PasskeyEntity, 'id' | 'label' | 'createdAt' | 'lastUsedAt'>;

/** A credential a browser may be asked for. */
export type PasskeyCredential = Pick<PasskeyEntity, 'credentialId' | 'transports'>;

/** A passkey read under its row lock to verify an assertion, and whether it may approve the withdrawal. */
export type PasskeyForAssertion = Pick<PasskeyEntity, 'id' | 'userId' | 'credentialId' | 'publicKey' | 'transports'> & {
  counter: number;
  /** Active, and created no later than the withdrawal. */
  usable: boolean;
};

/** What the wallet receives with a posting approved by a passkey. */
export interface PasskeyApprovalProof {
  credentialId: string;
  publicKey: Buffer;
  assertion: { authenticatorData: string; clientDataJSON: string; signature: string };
  challengeId: string;
}

/** What an assertion for a push token signs, and whether the token can still be used. */
export interface PushSigningContext {
  tokenHash: Buffer;
  challengeId: string;
  factor: 'email' | 'push';
  consumedAt: Date | null;
  factorStatus: string;
  withdrawalId: string;
  userId: string;
  status: string;
  asset: string;
  amount: string;
  /** The withdrawal's current digest, as Postgres computes it from its row. */
  digest: Buffer;
  createdAt: Date;
  expiresAt: Date;
}

/** `passkeys` and `passkey_registrations`: customers' passkeys and their registration ceremonies. */
@Injectable()
export class PasskeyRepository extends Repository {
  async openRegistration(m: EntityManager, userId: string, challenge: string, validMs: number): Promise<void> {
    await m.query(`INSERT INTO passkey_registrations (user_id, challenge, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`, [
      userId,
      challenge,
      validMs / 1000,
    ]);
  }

  /** The customer's newest registration ceremony still open, locked; the caller uses it up. */
  async lockOpenRegistration(m: EntityManager, userId: string): Promise<{ id: string; challenge: string } | undefined> {
    return this.row<{ id: string; challenge: string }>(
      `SELECT id, challenge FROM passkey_registrations
        WHERE user_id = $1 AND used_at IS NULL AND expires_at > now() ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
      [userId],
      m,
    );
  }

  /** Uses up every open ceremony of the customer: one answer, right or wrong, ends them. */
  async closeRegistrations(m: EntityManager, userId: string): Promise<void> {
    await m.query('UPDATE passkey_registrations SET used_at = now() WHERE user_id = $1 AND used_at IS NULL', [userId]);
  }

  async insert(
    m: EntityManager,
    p: { userId: string; credentialId: string; publicKey: Buffer; counter: number; transports: string[]; label: string },
  ): Promise<PasskeyListing> {
    const [row] = await this.rows<PasskeyListing>(
      `INSERT INTO passkeys (user_id, credential_id, public_key, counter, transports, label) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, label, created_at AS "createdAt", last_used_at AS "lastUsedAt"`,
      [p.userId, p.credentialId, p.publicKey, p.counter, p.transports, p.label],
      m,
    );
    return row;
  }

  async credentialExists(m: EntityManager, credentialId: string): Promise<boolean> {
    const [row] = await this.rows<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM passkeys WHERE credential_id = $1) AS found', [credentialId], m);
    return row.found;
  }

  async listLive(userId: string): Promise<PasskeyListing[]> {
    return this.rows<PasskeyListing>(
      `SELECT id, label, created_at AS "createdAt", last_used_at AS "lastUsedAt" FROM passkeys
        WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at`,
      [userId],
    );
  }

  async countLive(userId: string): Promise<number> {
    const [row] = await this.rows<{ n: number }>('SELECT count(*)::int AS n FROM passkeys WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
    return row.n;
  }

  /** The customer's live credentials (to exclude from a new registration). */
  async liveCredentials(userId: string, m?: EntityManager): Promise<PasskeyCredential[]> {
    return this.rows<PasskeyCredential>(
      'SELECT credential_id AS "credentialId", transports FROM passkeys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at',
      [userId],
      m,
    );
  }

  /** The owner's live credentials created no later than the withdrawal: those that may approve it. */
  async credentialsForWithdrawal(withdrawalId: string, m?: EntityManager): Promise<PasskeyCredential[]> {
    return this.rows<PasskeyCredential>(
      `SELECT p.credential_id AS "credentialId", p.transports FROM passkeys p JOIN withdrawals w ON w.user_id = p.user_id
        WHERE w.id = $1 AND p.revoked_at IS NULL AND p.created_at <= w.created_at ORDER BY p.created_at`,
      [withdrawalId],
      m,
    );
  }

  async lockForAssertion(m: EntityManager, credentialId: string, withdrawalId: string): Promise<PasskeyForAssertion | undefined> {
    const row = await this.row<Omit<PasskeyForAssertion, 'counter'> & { counter: string }>(
      `SELECT p.id, p.user_id AS "userId", p.credential_id AS "credentialId", p.public_key AS "publicKey", p.counter, p.transports,
              (p.revoked_at IS NULL AND p.created_at <= w.created_at AND p.user_id = w.user_id) AS usable
         FROM passkeys p JOIN withdrawals w ON w.id = $2
        WHERE p.credential_id = $1 FOR UPDATE OF p`,
      [credentialId, withdrawalId],
      m,
    );
    return row && { ...row, counter: Number(row.counter) };
  }

  async recordUse(m: EntityManager, id: string, counter: number): Promise<void> {
    await m.query('UPDATE passkeys SET counter = greatest(counter, $2), last_used_at = now() WHERE id = $1', [id, counter]);
  }

  /** Revokes a live passkey of the customer; false when there was none. */
  async revoke(m: EntityManager, userId: string, id: string): Promise<boolean> {
    const rows = await this.updateReturning<{ id: string }>(
      m,
      'UPDATE passkeys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id',
      [id, userId],
    );
    return rows.length > 0;
  }

  /** Records which passkey approved the withdrawal's push factor, and its assertion, beside that approval. */
  async recordApproval(m: EntityManager, withdrawalId: string, passkeyId: string, assertion: PasskeyApprovalProof['assertion']): Promise<void> {
    await m.query(`UPDATE withdrawal_factors SET passkey_id = $2, passkey_assertion = $3 WHERE withdrawal_id = $1 AND factor = 'push'`, [
      withdrawalId,
      passkeyId,
      JSON.stringify(assertion),
    ]);
  }

  /** The challenge a token names and its withdrawal: what a passkey approval of that token signs. */
  async signingContext(tokenHash: Buffer): Promise<PushSigningContext | undefined> {
    return this.row<PushSigningContext>(
      `SELECT t.token_hash AS "tokenHash", c.id AS "challengeId", c.factor, c.consumed_at AS "consumedAt",
              (SELECT f.status FROM withdrawal_factors f WHERE f.withdrawal_id = w.id AND f.factor = c.factor) AS "factorStatus",
              w.id AS "withdrawalId", w.user_id AS "userId", w.status, w.asset, w.amount::text AS amount, w.digest,
              w.created_at AS "createdAt", w.expires_at AS "expiresAt"
         FROM challenge_tokens t JOIN challenges c ON c.id = t.challenge_id JOIN withdrawals w ON w.id = c.withdrawal_id
        WHERE t.token_hash = $1`,
      [tokenHash],
    );
  }
}
