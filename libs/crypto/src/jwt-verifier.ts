import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable } from '@nestjs/common';
import { createPublicKey, KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';

export interface Caller {
  id: string;
  roles: string[];
}

/** Verifies the exchange's bearer tokens: HS256 with JWT_SECRET, or RS256/ES256 with JWT_PUBLIC_KEY. */
@Injectable()
export class JwtVerifier {
  private readonly key: KeyObject | Uint8Array;
  private readonly algorithms: string[];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (config.jwt.publicKey) {
      const pem = config.jwt.publicKey.includes('BEGIN') ? config.jwt.publicKey : Buffer.from(config.jwt.publicKey, 'base64').toString();
      this.key = createPublicKey(pem.replace(/\\n/g, '\n'));
      this.algorithms = this.key.asymmetricKeyType === 'ec' ? ['ES256'] : ['RS256'];
    } else {
      this.key = new TextEncoder().encode(config.jwt.secret);
      this.algorithms = ['HS256'];
    }
  }

  /** The caller, or undefined for any token that is missing, malformed, expired or badly signed. */
  async verify(token: string): Promise<Caller | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: this.algorithms });
      if (typeof payload.sub !== 'string' || !payload.sub || payload.sub.length > 200) return undefined;
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
      return { id: payload.sub, roles };
    } catch {
      // jose throws for every kind of bad token; all of them are simply "unauthorized".
      return undefined;
    }
  }
}
