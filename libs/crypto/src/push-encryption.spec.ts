import * as ece from 'http_ece';
import { createPublicKey, type ECDH } from 'node:crypto';
import { jwtVerify } from 'jose';
import { generateVAPIDKeys } from 'web-push';
import vector from './fixtures/rfc8291-webpush.json';
import { buildPushRequest } from './push-encryption';

// The module object itself, not an ES-interop copy: web-push's encryption helper calls require('crypto').randomBytes
// and require('crypto').createECDH, so that is where the RFC's salt and sender key are injected.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS module object is what web-push calls
import nodeCrypto = require('node:crypto');

// http_ece (typed in http_ece.d.ts) is the receiver's side here: it decrypts what we send.

const b64u = (value: string) => Buffer.from(value, 'base64url');
const rfcKeys = { p256dh: vector.ua_public, auth: vector.auth_secret };
const rfcReceiver = () => {
  const receiver = nodeCrypto.createECDH('prime256v1');
  receiver.setPrivateKey(b64u(vector.ua_private));
  return receiver;
};
const vapid = { ...generateVAPIDKeys(), subject: 'mailto:ops@countersign.example' };

/**
 * Runs `build` with web-push's per-message randomness replaced by the RFC 8291 Appendix A values: the 16-byte salt
 * (crypto.randomBytes(16)) and the sender key pair (crypto.createECDH('prime256v1').generateKeys()).
 */
function withRfcSaltAndSenderKey<T>(build: () => T): T {
  const realCreateECDH = nodeCrypto.createECDH;
  const rfcSender = realCreateECDH('prime256v1');
  rfcSender.setPrivateKey(b64u(vector.as_private));
  const randomBytes = jest.spyOn(nodeCrypto, 'randomBytes').mockImplementationOnce((size: number) => {
    expect(size).toBe(16);
    return b64u(vector.salt);
  });
  const createECDH = jest.spyOn(nodeCrypto, 'createECDH').mockImplementationOnce((curve: string) => {
    expect(curve).toBe('prime256v1');
    const sender = realCreateECDH(curve);
    sender.setPrivateKey(b64u(vector.as_private));
    // generateKeys() would overwrite the private key; hand back the RFC sender's public key instead.
    sender.generateKeys = generateKeys as unknown as ECDH['generateKeys'];
    return sender;
  });
  const generateKeys = jest.fn(() => rfcSender.getPublicKey());
  try {
    const result = build();
    // Both injection points were really taken, once each.
    expect(randomBytes).toHaveBeenCalledTimes(1);
    expect(createECDH).toHaveBeenCalledTimes(1);
    expect(generateKeys).toHaveBeenCalledTimes(1);
    return result;
  } finally {
    randomBytes.mockRestore();
    createECDH.mockRestore();
  }
}

describe('buildPushRequest', () => {
  const receiver = nodeCrypto.createECDH('prime256v1');
  const subscription = {
    endpoint: 'https://push.example.net:8443/wpush/v2/abc?x=1',
    keys: { p256dh: receiver.generateKeys('base64url'), auth: 'BTBZMqHH6r4Tts7J_aSIgg' },
  };
  const payload = JSON.stringify({ type: 'confirm', matchChoices: ['12', '34', '56'] });

  it('reproduces RFC 8291 Appendix A byte for byte through web-push', () => {
    const request = withRfcSaltAndSenderKey(() =>
      buildPushRequest({ endpoint: 'https://push.example.net/x', keys: rfcKeys }, vector.plaintext, vapid, 60),
    );
    expect(request.body.toString('base64url')).toBe(vector.body);
    // The spies are gone again: the next message draws its own salt and key.
    expect(jest.isMockFunction(nodeCrypto.randomBytes)).toBe(false);
    expect(jest.isMockFunction(nodeCrypto.createECDH)).toBe(false);
    expect(
      buildPushRequest({ endpoint: 'https://push.example.net/x', keys: rfcKeys }, vector.plaintext, vapid, 60).body.toString('base64url'),
    ).not.toBe(vector.body);
  });

  it('uses a fresh sender key and salt per message', () => {
    const target = { endpoint: 'https://push.example.net/x', keys: rfcKeys };
    const a = buildPushRequest(target, vector.plaintext, vapid, 60).body;
    const b = buildPushRequest(target, vector.plaintext, vapid, 60).body;
    expect(a.subarray(0, 16).equals(b.subarray(0, 16))).toBe(false);
    expect(a.subarray(21, 86).equals(b.subarray(21, 86))).toBe(false);
    const params = { version: 'aes128gcm', privateKey: rfcReceiver(), authSecret: b64u(vector.auth_secret) } as const;
    expect(ece.decrypt(a, params).toString()).toBe(vector.plaintext);
    expect(ece.decrypt(b, params).toString()).toBe(vector.plaintext);
  });

  it('sets the RFC 8030 headers and a body the receiver can decrypt', () => {
    const request = buildPushRequest(subscription, payload, vapid, 300);
    expect(request.endpoint).toBe(subscription.endpoint);
    const { Authorization, ...others } = request.headers;
    expect(others).toEqual({ 'Content-Type': 'application/octet-stream', 'Content-Encoding': 'aes128gcm', TTL: '300', Urgency: 'high' });
    expect(Authorization).toMatch(/^vapid t=/);
    const params = { version: 'aes128gcm', privateKey: receiver, authSecret: b64u(subscription.keys.auth) } as const;
    expect(ece.decrypt(request.body, params).toString()).toBe(payload);
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
