import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A customer's passkey (WebAuthn credential): written only by the confirmation service, after verifying its registration. */
@Entity({ name: 'passkeys' })
export class PasskeyEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'user_id', type: 'text' }) userId: string;
  /** The credential id, base64url. */
  @Column({ name: 'credential_id', type: 'text' }) credentialId: string;
  /** The COSE public key as the authenticator registered it. */
  @Column({ name: 'public_key', type: 'bytea', select: false }) publicKey: Buffer;
  /** The signature counter last seen: it never goes back (Postgres refuses), 0 for authenticators without one. */
  @Column({ type: 'bigint' }) counter: string;
  @Column({ type: 'text', array: true }) transports: string[];
  @Column({ type: 'text' }) label: string;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt: Date;
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true }) lastUsedAt: Date | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt: Date | null;
}

/** A registration ceremony's challenge, issued by the confirmation service after a TOTP step-up; used once. */
@Entity({ name: 'passkey_registrations' })
export class PasskeyRegistrationEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'user_id', type: 'text' }) userId: string;
  @Column({ type: 'text' }) challenge: string;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt: Date;
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true }) usedAt: Date | null;
}
