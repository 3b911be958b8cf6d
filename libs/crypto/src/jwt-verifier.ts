import { MAX_CUSTOMER_ID_LENGTH } from '@app/domain';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable } from '@nestjs/common';
import { jwtVerify, JWTVerifyOptions } from 'jose';
import { createPublicKey, KeyObject } from 'node:crypto';
import { VerifiedTokenCache } from './verified-token-cache';

export interface Caller {
  id: string;
  roles: string[];
}

/** An operator's own token, checked for an action that moves or frees funds or factors. */
export interface OperatorProof {
  operatorId: string;
  /** Single use: the confirmation service records it with the action. */
  jti: string;
}

export type OperatorProofRefusal = 'no_public_key' | 'invalid' | 'not_operator' | 'no_jti' | 'too_long_lived';

/**
 * Verifies the exchange's bearer tokens: HS256 with JWT_SECRET, or RS256/ES256 with JWT_PUBLIC_KEY. `exp`
 * is always required; `iss` and `aud` when JWT_ISSUER and JWT_AUDIENCE are set.
 */
/** JWT_PUBLIC_KEY as PEM (newlines may be written `\\n`), base64 of a PEM, or base64 DER SPKI (what keys:generate writes). */
export function jwtPublicKey(text: string): KeyObject {
  if (text.includes('BEGIN')) return createPublicKey(text.replace(/\\n/g, '\n'));
  const bytes = Buffer.from(text, 'base64');
  const decoded = bytes.toString('utf8');
  return decoded.includes('BEGIN') ? createPublicKey(decoded) : createPublicKey({ key: bytes, format: 'der', type: 'spki' });
}

@Injectable()
export class JwtVerifier {
  private readonly key: KeyObject | Uint8Array;
  private readonly options: JWTVerifyOptions;
  readonly asymmetric: boolean;
  private readonly verified = new VerifiedTokenCache();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (config.jwt.publicKey) {
      const key = jwtPublicKey(config.jwt.publicKey);
      this.key = key;
      this.asymmetric = true;
      this.options = { algorithms: key.asymmetricKeyType === 'ec' ? ['ES256'] : ['RS256'] };
    } else {
      this.key = new TextEncoder().encode(config.jwt.secret);
      this.asymmetric = false;
      this.options = { algorithms: ['HS256'] };
    }
    this.options = { ...this.options, requiredClaims: ['exp'], issuer: config.jwt.issuer, audience: config.jwt.audience };
  }

  /** The caller, or undefined for any token that is missing, malformed, expired, badly signed or without exp. */
  async verify(token: string): Promise<Caller | undefined> {
    const known = this.verified.get(token);
    if (known) return known;
    const payload = await this.payload(token);
    if (!payload) return undefined;
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
    const caller = { id: payload.sub!, roles };
    this.verified.remember(token, caller, payload.exp!);
    return caller;
  }

  /**
   * An operator's proof for one action: signed with the exchange's private key (a shared HS256 secret is
   * known to the API too, so it proves nothing to the confirmation service), an operator's, with a jti, and
   * short-lived (exp − iat at most OPERATOR_TOKEN_MAX_AGE).
   */
  async operatorProof(token: string): Promise<OperatorProof | OperatorProofRefusal> {
    if (!this.asymmetric) return 'no_public_key';
    const payload = await this.payload(token);
    if (!payload) return 'invalid';
    const roles = Array.isArray(payload.roles) ? payload.roles : [];
    if (!roles.includes('operator')) return 'not_operator';
    if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 200) return 'no_jti';
    if (typeof payload.iat !== 'number' || (payload.exp! - payload.iat) * 1000 > this.config.jwt.operatorTokenMaxAgeMs) return 'too_long_lived';
    return { operatorId: payload.sub!, jti: payload.jti };
  }

  private async payload(token: string) {
    try {
      const { payload } = await jwtVerify(token, this.key, this.options);
      if (typeof payload.sub !== 'string' || !payload.sub || payload.sub.length > MAX_CUSTOMER_ID_LENGTH) return undefined;
      return payload;
    } catch {
      // jose throws for every kind of bad token; all of them are simply "unauthorized".
      return undefined;
    }
  }
}
