import { generateRequestDetails } from 'web-push';

/** Keys of a browser PushSubscription, base64url. */
export interface PushKeys {
  p256dh: string;
  auth: string;
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
  const details = generateRequestDetails({ endpoint: subscription.endpoint, keys: subscription.keys }, payload, {
    vapidDetails: { subject: vapid.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
    TTL: ttlSeconds,
    urgency: 'high',
    contentEncoding: 'aes128gcm',
  });
  // web-push leaves out the body for an empty payload and Authorization for legacy GCM endpoints; we send neither.
  if (!details.body) throw new Error('push payload must not be empty');
  const { Authorization } = details.headers;
  if (!Authorization) throw new Error(`no VAPID authorisation for ${subscription.endpoint}`);
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
