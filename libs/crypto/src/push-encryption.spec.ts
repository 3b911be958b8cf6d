import { decrypt } from 'http_ece';
import { createECDH, createPublicKey } from 'node:crypto';
import { jwtVerify } from 'jose';
import { generateVAPIDKeys } from 'web-push';
import vector from './fixtures/rfc8291-webpush.json';
import { buildPushRequest, encryptPushPayload } from './push-encryption';

const b64u = (value: string) => Buffer.from(value, 'base64url');
const rfcKeys = { p256dh: vector.ua_public, auth: vector.auth_secret };
const rfcInjected = { salt: b64u(vector.salt), senderPrivateKey: b64u(vector.as_private) };

describe('encryptPushPayload', () => {
  it('reproduces RFC 8291 Appendix A byte for byte', () => {
    expect(encryptPushPayload(vector.plaintext, rfcKeys, rfcInjected).toString('base64url')).toBe(vector.body);
  });

  it('uses a fresh sender key and salt per message', () => {
    const a = encryptPushPayload(vector.plaintext, rfcKeys);
    const b = encryptPushPayload(vector.plaintext, rfcKeys);
    expect(a.subarray(0, 16).equals(b.subarray(0, 16))).toBe(false);
    expect(a.subarray(21, 86).equals(b.subarray(21, 86))).toBe(false);
    const receiver = createECDH('prime256v1');
    receiver.setPrivateKey(b64u(vector.ua_private));
    const params = { version: 'aes128gcm', privateKey: receiver, authSecret: b64u(vector.auth_secret) } as const;
    expect(decrypt(a, params).toString()).toBe(vector.plaintext);
  });
});

describe('buildPushRequest', () => {
  const vapid = { ...generateVAPIDKeys(), subject: 'mailto:ops@countersign.example' };
  const receiver = createECDH('prime256v1');
  const subscription = {
    endpoint: 'https://push.example.net:8443/wpush/v2/abc?x=1',
    keys: { p256dh: receiver.generateKeys('base64url'), auth: 'BTBZMqHH6r4Tts7J_aSIgg' },
  };
  const payload = JSON.stringify({ type: 'confirm', matchChoices: ['12', '34', '56'] });

  it('sets the RFC 8030 headers and a body the receiver can decrypt', () => {
    const request = buildPushRequest(subscription, payload, vapid, 300);
    expect(request.endpoint).toBe(subscription.endpoint);
    expect(request.headers).toMatchObject({
      'Content-Type': 'application/octet-stream',
      'Content-Encoding': 'aes128gcm',
      TTL: '300',
      Urgency: 'high',
    });
    const params = { version: 'aes128gcm', privateKey: receiver, authSecret: b64u(subscription.keys.auth) } as const;
    expect(decrypt(request.body, params).toString()).toBe(payload);
  });

  it('encrypts through encryptPushPayload', () => {
    const request = buildPushRequest({ endpoint: 'https://push.example.net/x', keys: rfcKeys }, vector.plaintext, vapid, 60, rfcInjected);
    expect(request.body.toString('base64url')).toBe(vector.body);
  });

  it('authorises with a VAPID JWT for the endpoint origin', async () => {
    const { Authorization } = buildPushRequest(subscription, payload, vapid, 300).headers;
    const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(Authorization);
    expect(match).not.toBeNull();
    const [, jwt, k] = match!;
    expect(k).toBe(vapid.publicKey);
    const point = b64u(k);
    const key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
      format: 'jwk',
    });
    const { payload: claims, protectedHeader } = await jwtVerify(jwt, key, {
      audience: 'https://push.example.net:8443',
      algorithms: ['ES256'],
      requiredClaims: ['exp'],
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(claims.sub).toBe(vapid.subject);
    expect(claims.exp! * 1000).toBeGreaterThan(Date.now());
    expect(claims.exp! * 1000).toBeLessThanOrEqual(Date.now() + 24 * 3600 * 1000);
  });
});
