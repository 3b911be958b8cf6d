import { generateRequestDetails, getVapidHeaders } from 'web-push';

// Imported as @app/crypto/push-encryption, not through the lib's index: only the notification worker sends
// pushes, and web-push (with its ASN.1, big-number and JWS libraries) stays out of the other apps.

/** Keys of a browser PushSubscription, base64url. */
export interface PushKeys {
  p256dh: string;
  auth: string;
}

/** A VAPID token lives 12 hours (RFC 8292 allows 24) and is replaced an hour before it ends. */
const VAPID_LIFETIME_S = 12 * 3600;
const VAPID_RENEW_BEFORE_S = 3600;
const vapidTokens = new Map<string, { authorization: string; expiresAt: number }>();

/**
 * The VAPID Authorization for a push service's origin, signed once and kept for its lifetime rather than
 * signed (ES256) per message; the token says only who sends (sub) to which service (aud), until when.
 */
function vapidAuthorization(audience: string, vapid: { publicKey: string; privateKey: string; subject: string }, now = Date.now() / 1000): string {
  const key = `${audience}\n${vapid.publicKey}\n${vapid.subject}`;
  const cached = vapidTokens.get(key);
  if (cached && cached.expiresAt - now > VAPID_RENEW_BEFORE_S) return cached.authorization;
  const expiresAt = Math.floor(now) + VAPID_LIFETIME_S;
  const { Authorization } = getVapidHeaders(audience, vapid.subject, vapid.publicKey, vapid.privateKey, 'aes128gcm', expiresAt);
  vapidTokens.set(key, { authorization: Authorization, expiresAt });
  return Authorization;
}

/**
 * A complete RFC 8030 push request, built by web-push: the body is RFC 8291 aes128gcm (fresh salt and sender
 * key pair per message), Authorization is VAPID (RFC 8292) for the endpoint's origin. Sending is left to the
 * caller (fetch, with its own timeout), so only web-push's request builder is used, not its https sender.
 */
export function buildPushRequest(
  subscription: { endpoint: string; keys: PushKeys },
  payload: string,
  vapid: { publicKey: string; privateKey: string; subject: string },
  ttlSeconds: number,
): { endpoint: string; headers: Record<string, string>; body: Buffer } {
  // web-push encrypts (no vapidDetails given, nor ever set globally: it signs nothing); the VAPID header is ours,
  // kept per push service, where web-push would sign one per message.
  const details = generateRequestDetails({ endpoint: subscription.endpoint, keys: subscription.keys }, payload, {
    TTL: ttlSeconds,
    urgency: 'high',
    contentEncoding: 'aes128gcm',
  });
  // web-push leaves out the body for an empty payload; we send none.
  if (!details.body) throw new Error('push payload must not be empty');
  const Authorization = vapidAuthorization(new URL(subscription.endpoint).origin, vapid);
  // Content-Length (a number in web-push's headers despite its typings) is left to fetch, which derives it from the body.
  return {
    endpoint: details.endpoint,
    headers: {
      'Content-Type': String(details.headers['Content-Type']),
      'Content-Encoding': String(details.headers['Content-Encoding']),
      TTL: String(details.headers.TTL),
      Urgency: String(details.headers.Urgency),
      Authorization: String(Authorization),
    },
    body: details.body,
  };
}
