import { ConfigError, defaultRoleUrl, loadConfig } from './app-config';

const keys = {
  VAPID_PUBLIC_KEY: 'vapid-public',
  VAPID_PRIVATE_KEY: 'vapid-private',
  TOTP_SEAL_PUBLIC_KEY: 'seal-public',
  TOTP_SEAL_PRIVATE_KEY: 'seal-private',
  JWT_SECRET: 'a-secret-of-sixteen-or-more',
};

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(keys);
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'countersign',
      host: '127.0.0.1',
      port: 3000,
      publicBaseUrl: 'http://localhost:3000',
      smtpUrl: 'smtp://127.0.0.1:1025',
      confirmationWindowMs: 10 * 60_000,
      addressCoolingOffMs: 24 * 3600_000,
      securityChangeLockMs: 24 * 3600_000,
      numberMatching: true,
      trustProxy: false,
      warnings: [],
    });
    expect(config.dashboard).toBeUndefined();
    expect(config.databaseUrls.api).toBe('postgres://countersign_api:countersign_api@127.0.0.1:5432/countersign');
  });

  it('takes HOST as an IP address or a host name, and refuses anything else', () => {
    for (const host of ['0.0.0.0', '127.0.0.2', '::', '::1', 'api.internal', 'localhost'])
      expect(loadConfig({ ...keys, HOST: host }).host).toBe(host);
    for (const host of ['http://0.0.0.0', '127.0.0.1:3000', 'a host', '-']) {
      expect(() => loadConfig({ ...keys, HOST: host })).toThrow(/HOST: must be an IP address/);
    }
  });

  it('reads durations, booleans and per-app database URLs', () => {
    const config = loadConfig({
      ...keys,
      CONFIRMATION_WINDOW: '90s',
      ADDRESS_COOLING_OFF: '0',
      NUMBER_MATCHING: 'false',
      API_DATABASE_URL: 'postgres://edge:pw@db:5432/cs',
      TRUST_PROXY: '1',
    });
    expect(config.confirmationWindowMs).toBe(90_000);
    expect(config.addressCoolingOffMs).toBe(0);
    expect(config.numberMatching).toBe(false);
    expect(config.databaseUrls.api).toBe('postgres://edge:pw@db:5432/cs');
    expect(config.trustProxy).toBe(1);
  });

  it('refuses bad values with every problem named and no value echoed', () => {
    const attempt = () => loadConfig({ ...keys, CONFIRMATION_WINDOW: 'soon', PORT: '99999', NUMBER_MATCHING: 'perhaps' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/CONFIRMATION_WINDOW: CONFIRMATION_WINDOW must be a duration/);
    expect(attempt).toThrow(/PORT/);
    expect(attempt).toThrow(/NUMBER_MATCHING: must be one of true, false/);
    expect(attempt).not.toThrow(/perhaps|soon|99999/);
  });

  it('warns loudly when an app that verifies tokens has no JWT key; the worker and the commands need none', () => {
    const { JWT_SECRET: _unused, ...withoutJwt } = keys;
    expect(loadConfig(withoutJwt, 'api').warnings.join(' ')).toMatch(/NEVER run like this in production/);
    expect(loadConfig(withoutJwt, 'confirmer').warnings.join(' ')).toMatch(/NEVER run like this in production/);
    expect(loadConfig(withoutJwt, 'notifier').warnings.join(' ')).not.toMatch(/JWT/);
    expect(loadConfig(withoutJwt).warnings.join(' ')).not.toMatch(/JWT/);
  });

  it('reads a variable set to nothing as not set (FOO= in an env file)', () => {
    const config = loadConfig({ ...keys, PORT: '', CONFIRMATION_WINDOW: '', JWT_PUBLIC_KEY: '' });
    expect(config.port).toBe(3000);
    expect(config.confirmationWindowMs).toBe(10 * 60_000);
    expect(config.jwt.publicKey).toBeUndefined();
  });

  it("applies the risk controls' documented defaults", () => {
    expect(loadConfig(keys).risk).toEqual({
      anomalyWindowMs: 10 * 60_000,
      anomalyMaxAccounts: 3,
      velocityLimits: {},
      autoPauseFactor: 5,
      autoPauseMinPerMinute: 20,
      operatorAlertEmail: undefined,
    });
  });

  it('reads the risk controls', () => {
    const config = loadConfig({
      ...keys,
      ANOMALY_WINDOW: '90s',
      ANOMALY_MAX_ACCOUNTS: '5',
      VELOCITY_LIMITS: 'BTC=2, ETH=40.5',
      AUTO_PAUSE_FACTOR: '2.5',
      AUTO_PAUSE_MIN_PER_MINUTE: '7',
      OPERATOR_ALERT_EMAIL: 'risk@exchange.example',
    });
    expect(config.risk).toEqual({
      anomalyWindowMs: 90_000,
      anomalyMaxAccounts: 5,
      velocityLimits: { BTC: '2', ETH: '40.5' },
      autoPauseFactor: 2.5,
      autoPauseMinPerMinute: 7,
      operatorAlertEmail: 'risk@exchange.example',
    });
    expect(loadConfig({ ...keys, OPERATOR_ALERT_EMAIL: '' }).risk.operatorAlertEmail).toBeUndefined();
  });

  it.each([
    ['VELOCITY_LIMITS', 'BTC'],
    ['VELOCITY_LIMITS', 'btc=1'],
    ['VELOCITY_LIMITS', 'BTC=1,BTC=2'],
    ['VELOCITY_LIMITS', 'BTC=0'],
    ['VELOCITY_LIMITS', 'BTC=-1'],
    ['VELOCITY_LIMITS', 'BTC=1e3'],
    ['ANOMALY_WINDOW', 'soon'],
    ['ANOMALY_MAX_ACCOUNTS', '0'],
    ['AUTO_PAUSE_FACTOR', '-1'],
    ['AUTO_PAUSE_MIN_PER_MINUTE', '0'],
    ['OPERATOR_ALERT_EMAIL', 'not-an-address'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => loadConfig({ ...keys, [name]: value })).toThrow(new RegExp(`${name}`));
  });

  it('names each role after its database', () => {
    expect(defaultRoleUrl('postgres://postgres@10.0.0.5:6543/exchange', 'confirmer')).toBe(
      'postgres://exchange_confirmer:exchange_confirmer@10.0.0.5:6543/exchange',
    );
  });

  it('derives the passkey relying party from PUBLIC_BASE_URL, never from an IP address, and reads PASSKEY_REQUIRED_ABOVE', () => {
    expect(loadConfig(keys).webauthn).toEqual({ rpId: 'localhost', rpName: 'Countersign', origins: ['http://localhost:3000'] });
    expect(loadConfig({ ...keys, PUBLIC_BASE_URL: 'http://127.0.0.1:3000' }).webauthn.rpId).toBeUndefined();
    const set = loadConfig({
      ...keys,
      WEBAUTHN_RP_ID: 'exchange.example',
      WEBAUTHN_ORIGINS: 'https://exchange.example, https://app.exchange.example/',
      PASSKEY_REQUIRED_ABOVE: 'BTC=1,ETH=20.5',
    });
    expect(set.webauthn.origins).toEqual(['https://exchange.example', 'https://app.exchange.example']);
    expect(set.passkeyRequiredAbove).toEqual({ BTC: '1', ETH: '20.5' });
    expect(() => loadConfig({ ...keys, WEBAUTHN_RP_ID: '10.0.0.1' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...keys, PASSKEY_REQUIRED_ABOVE: 'BTC=one' })).toThrow(ConfigError);
  });
});
