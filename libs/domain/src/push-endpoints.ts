/**
 * The push services of the major browsers: an endpoint must be one of these (or of PUSH_SERVICE_HOSTS), so
 * that the notification worker never makes requests wherever a customer points it.
 */
export const DEFAULT_PUSH_SERVICE_HOSTS = [
  'fcm.googleapis.com',
  'updates.push.services.mozilla.com',
  'notify.windows.com',
  'push.apple.com',
] as const;

/**
 * Whether a push endpoint is on an allowed push service. An entry is a host suffix (`fcm.googleapis.com`,
 * which then admits only https on the default port, the host itself or a subdomain), or a full origin
 * (`http://127.0.0.1:9000`, for development and tests), which admits exactly that origin.
 */
export function isAllowedPushEndpoint(endpoint: string, allowed: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  return allowed.some((entry) => {
    if (entry.includes('://')) return url.origin === new URL(entry).origin;
    const host = entry.toLowerCase().replace(/^\.+/, '');
    return url.protocol === 'https:' && url.port === '' && (url.hostname === host || url.hostname.endsWith(`.${host}`));
  });
}
