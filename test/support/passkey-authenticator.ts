import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';
import { ApiClient, ApiResponse } from './api-client';

/**
 * A passkey authenticator in software, with node:crypto alone: it registers a credential whose P-256 key
 * pair the test holds, and signs assertions as a platform authenticator would (WebAuthn Level 3, "none"
 * attestation). It lets tests and the bench drive a customer with a passkey without a browser, and lets
 * attack tests make exactly the wrong assertion they need (another origin, UV off, a counter that went
 * back, another key under the same credential id).
 */

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys: maps, byte and text strings, integers. */
type Cbor = number | string | Buffer | Map<number | string, Cbor>;

function cborHead(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([cborHead(2, value.length), value]);
  const parts: Buffer[] = [cborHead(5, value.size)];
  for (const [k, v] of value) parts.push(cbor(k), cbor(v));
  return Buffer.concat(parts);
}

const sha256 = (...parts: (Buffer | string)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Authenticator data flags. */
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

export interface AssertionOptions {
  /** The page's origin as the browser would write it into clientDataJSON. */
  origin?: string;
  rpId?: string;
  userVerified?: boolean;
  /** The signature counter to report; by default the next one. */
  counter?: number;
  /** Sign with this key instead of the credential's own (a forgery under the victim's credential id). */
  signWith?: KeyObject;
  type?: string;
}

export interface RegistrationResponseJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  clientExtensionResults: Record<string, never>;
  authenticatorAttachment: 'platform';
}

export interface AuthenticationResponseJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  clientExtensionResults: Record<string, never>;
  authenticatorAttachment: 'platform';
}

export class SoftwareAuthenticator {
  readonly credentialId = randomBytes(32);
  readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  /** Starts above 0, so that a counter going back is detectable (a counter of 0 means "no counter"). */
  counter = 1;

  constructor(
    readonly origin: string,
    readonly rpId = new URL(origin).hostname,
  ) {}

  get id(): string {
    return this.credentialId.toString('base64url');
  }

  /** The credential's public key as a COSE_Key (EC2, P-256, ES256). */
  coseKey(): Buffer {
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    return cbor(
      new Map<number, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
  }

  /** navigator.credentials.create() for `options` (the JSON creation options), as its JSON response. */
  register(
    options: { challenge: string; rp?: { id?: string } },
    overrides: { origin?: string; userVerified?: boolean } = {},
  ): RegistrationResponseJson {
    const rpId = options.rp?.id ?? this.rpId;
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin: overrides.origin ?? this.origin, crossOrigin: false }),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(0);
    const flags = UP | AT | (overrides.userVerified === false ? 0 : UV);
    const authData = Buffer.concat([sha256(rpId), Buffer.from([flags]), counter, Buffer.alloc(16), idLength, this.credentialId, this.coseKey()]);
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: attestationObject.toString('base64url'),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get() with `challenge` (base64url), as its JSON response; the counter moves on. */
  assert(challenge: string, options: AssertionOptions = {}): AuthenticationResponseJson {
    const counterValue = options.counter ?? ++this.counter;
    if (options.counter !== undefined && options.counter > this.counter) this.counter = options.counter;
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: options.type ?? 'webauthn.get', challenge, origin: options.origin ?? this.origin, crossOrigin: false }),
    );
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(counterValue);
    const flags = UP | (options.userVerified === false ? 0 : UV);
    const authenticatorData = Buffer.concat([sha256(options.rpId ?? this.rpId), Buffer.from([flags]), counter]);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), options.signWith ?? this.keys.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authenticatorData.toString('base64url'),
        signature: signature.toString('base64url'),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}

/**
 * The challenge of a withdrawal's passkey assertion, as shared/API.md defines it, computed independently of
 * Countersign's code: base64url(SHA-256("countersign/webauthn/v1" ‖ digest ‖ challengeId)).
 */
export function expectedPasskeyChallenge(digest: Buffer, challengeId: string): string {
  return sha256(Buffer.from('countersign/webauthn/v1', 'utf8'), digest, Buffer.from(challengeId, 'utf8')).toString('base64url');
}

/** The withdrawal digest of shared/API.md, from its fields: amounts with 18 decimals, joined by U+001F. */
export function withdrawalDigest(w: { userId: string; asset: string; network: string; amount: string; fee: string; address: string }): Buffer {
  const eighteen = (amount: string) => {
    const [whole, fraction = ''] = amount.split('.');
    return `${whole}.${fraction.padEnd(18, '0')}`;
  };
  return sha256(
    Buffer.from(['countersign-withdrawal-v1', w.userId, w.asset, w.network, eighteen(w.amount), eighteen(w.fee), w.address].join('\u001f'), 'utf8'),
  );
}

/** What a frontend does to register a passkey: creation options (with a TOTP code once TOTP is active), then the response. */
export async function registerPasskey(
  client: ApiClient,
  authenticator: SoftwareAuthenticator,
  options: { totpCode?: string; label?: string; origin?: string } = {},
): Promise<ApiResponse> {
  const creation = await client.post('/v1/me/passkeys/registration-options', options.totpCode ? { totpCode: options.totpCode } : {});
  if (creation.status !== 200) return creation;
  return client.post('/v1/me/passkeys', {
    response: authenticator.register(creation.body, { origin: options.origin }),
    label: options.label ?? 'test passkey',
  });
}

/** The request options the confirmation page gets for a push token (its challenge bound to the withdrawal). */
export async function passkeyOptions(baseUrl: string, token: string): Promise<ApiResponse> {
  return new ApiClient(baseUrl).post('/v1/confirmations/passkey-options', { token });
}

/** Approves a push token with an assertion for `challenge` (by default the one the options give). */
export async function approveWithPasskey(
  baseUrl: string,
  token: string,
  matchCode: string,
  authenticator: SoftwareAuthenticator,
  options: AssertionOptions & { challenge?: string } = {},
): Promise<ApiResponse> {
  const challenge = options.challenge ?? (await passkeyOptions(baseUrl, token)).body.challenge;
  return new ApiClient(baseUrl).post('/v1/confirmations', {
    token,
    decision: 'approve',
    matchCode,
    passkey: authenticator.assert(challenge, options),
  });
}
