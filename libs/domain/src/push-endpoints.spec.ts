import { DEFAULT_PUSH_SERVICE_HOSTS, isAllowedPushEndpoint } from './push-endpoints';

describe('isAllowedPushEndpoint', () => {
  it.each([
    'https://fcm.googleapis.com/fcm/send/abc:def',
    'https://updates.push.services.mozilla.com/wpush/v2/gAAAA',
    'https://wns2-par02p.notify.windows.com/w/?token=x',
    'https://web.push.apple.com/QGq4',
  ])('admits the browsers’ push services: %s', (endpoint) => {
    expect(isAllowedPushEndpoint(endpoint, DEFAULT_PUSH_SERVICE_HOSTS)).toBe(true);
  });

  it.each([
    ['http on an allowed host', 'http://fcm.googleapis.com/fcm/send/abc'],
    ['another port', 'https://fcm.googleapis.com:8443/fcm/send/abc'],
    ['a look-alike host', 'https://fcm.googleapis.com.attacker.example/x'],
    ['a suffix that is not a subdomain', 'https://evilfcm.googleapis.com.example/x'],
    ['credentials in the URL', 'https://user:pw@fcm.googleapis.com/x'],
    ['an address literal', 'https://[::1]/x'],
    ['not a URL', 'fcm.googleapis.com/x'],
  ])('refuses %s', (_, endpoint) => {
    expect(isAllowedPushEndpoint(endpoint, DEFAULT_PUSH_SERVICE_HOSTS)).toBe(false);
  });

  it('admits exactly a configured origin, for development and tests', () => {
    const allowed = ['http://127.0.0.1:9000'];
    expect(isAllowedPushEndpoint('http://127.0.0.1:9000/push/abc', allowed)).toBe(true);
    expect(isAllowedPushEndpoint('http://127.0.0.1:9001/push/abc', allowed)).toBe(false);
    expect(isAllowedPushEndpoint('http://127.0.0.2:9000/push/abc', allowed)).toBe(false);
  });
});
