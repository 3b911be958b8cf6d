import { encrypt } from 'http_ece';
import { createECDH, randomBytes } from 'node:crypto';
import { getVapidHeaders } from 'web-push';

/** Keys of a browser PushSubscription, base64url. */
export interface PushKeys {
  p256dh: string;
  auth: string;
}

/** Only tests inject these, to reproduce fixed vectors; production draws fresh ones per message. */
export interface InjectedPushKeys {
  salt: Buffer;
  senderPrivateKey: Buffer;
}

/** RFC 8291 message encryption: the aes128gcm body (salt, rs, sender public key as keyid, then one record). */
export function encryptPushPayload(payload: Buffer | string, keys: PushKeys, injected?: InjectedPushKeys): Buffer {
  const sender = createECDH('prime256v1');
  if (injected) sender.setPrivateKey(injected.senderPrivateKey);
  else sender.generateKeys();
  return encrypt(Buffer.from(payload), {
    version: 'aes128gcm',
    rs: 4096,
    salt: injected?.salt ?? randomBytes(16),
    dh: Buffer.from(keys.p256dh, 'base64url'),
    privateKey: sender,
    authSecret: Buffer.from(keys.auth, 'base64url'),
  });
}

/** A complete RFC 8030 push request with VAPID (RFC 8292) authorisation, ready for fetch(). */
export function buildPushRequest(
  subscription: { endpoint: string; keys: PushKeys },
  payload: string,
  vapid: { publicKey: string; privateKey: string; subject: string },
  ttlSeconds: number,
  injected?: InjectedPushKeys,
): { endpoint: string; headers: Record<string, string>; body: Buffer } {
  const audience = new URL(subscription.endpoint).origin;
  const { Authorization } = getVapidHeaders(audience, vapid.subject, vapid.publicKey, vapid.privateKey, 'aes128gcm');
  return {
    endpoint: subscription.endpoint,
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Encoding': 'aes128gcm',
      TTL: String(ttlSeconds),
      Urgency: 'high',
      Authorization,
    },
    body: encryptPushPayload(payload, subscription.keys, injected),
  };
}
