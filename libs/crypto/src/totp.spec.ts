import { oathtoolCode } from '../../../test/support/oathtool';
import hotpVectors from './fixtures/rfc4226-hotp.json';
import totpVectors from './fixtures/rfc6238-totp.json';
import {
  TOTP_DEFAULTS,
  earliestMatchableStep,
  hotpCodeFromKey,
  matchTotpStep,
  newTotpSecret,
  otpauthUri,
  totpCode,
  totpCodeFromKey,
  totpStep,
} from './totp';

const STEP_MS = 30_000;
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of the RFC seed "12345678901234567890"

describe('RFC 4226 Appendix D (HOTP)', () => {
  const key = Buffer.from(hotpVectors.secret, 'ascii');
  it.each(hotpVectors.codes.map((code, counter) => [counter, code]))('counter %i gives %s', (counter, code) => {
    expect(hotpCodeFromKey(key, counter, 6, 'sha1')).toBe(code);
  });
});

describe('RFC 6238 Appendix B (TOTP)', () => {
  const algorithms = [
    ['SHA1', 'sha1'],
    ['SHA256', 'sha256'],
    ['SHA512', 'sha512'],
  ] as const;
  const rows = totpVectors.rows.flatMap((row) => algorithms.map(([name, algorithm]) => ({ time: row.time, name, algorithm, code: row[name] })));
  it.each(rows)('$name at $time s gives $code', ({ time, name, algorithm, code }) => {
    const key = Buffer.from(totpVectors.seeds[name], 'ascii');
    const opts = { algorithm, digits: totpVectors.digits, stepSeconds: totpVectors.step, window: 0 };
    expect(totpCodeFromKey(key, time * 1000, opts)).toBe(code);
  });
});

describe('totpStep', () => {
  it('floors to the 30 s step', () => {
    expect(totpStep(0)).toBe(0);
    expect(totpStep(29_999)).toBe(0);
    expect(totpStep(30_000)).toBe(1);
    expect(totpStep(1_111_111_109_000)).toBe(0x23523ec);
    expect(totpStep(59_000, 60)).toBe(0);
  });
});

describe('matchTotpStep', () => {
  // First and last millisecond of a step: the window must be counted in steps, not in elapsed time.
  it.each([1_700_000_010_000, 1_700_000_039_999])('accepts T-1, T, T+1 and refuses T±2 at %i ms', (now) => {
    const t = totpStep(now);
    const codeAt = (step: number) => totpCode(SECRET, step * STEP_MS);
    for (const offset of [-1, 0, 1]) expect(matchTotpStep(SECRET, codeAt(t + offset), now)).toBe(t + offset);
    for (const offset of [-2, 2]) expect(matchTotpStep(SECRET, codeAt(t + offset), now)).toBeNull();
  });

  it('honours a custom window and digit count', () => {
    const opts = { ...TOTP_DEFAULTS, digits: 8, window: 2 };
    const now = 1_700_000_000_000;
    const t = totpStep(now);
    expect(matchTotpStep(SECRET, totpCode(SECRET, now - 2 * STEP_MS, opts), now, opts)).toBe(t - 2);
    expect(matchTotpStep(SECRET, totpCode(SECRET, now - 3 * STEP_MS, opts), now, opts)).toBeNull();
  });

  // The used steps a withdrawal's check reads start here: a step before it must never match then or later.
  it.each([TOTP_DEFAULTS, { ...TOTP_DEFAULTS, window: 2 }])('matches no step before earliestMatchableStep (window $window)', (opts) => {
    const read = 1_700_000_039_999; // the last millisecond of a step
    const from = earliestMatchableStep(read, opts);
    for (const checkedAt of [read, read + 1, read + 5 * STEP_MS]) {
      expect(matchTotpStep(SECRET, totpCode(SECRET, (from - 1) * STEP_MS, opts), checkedAt, opts)).toBeNull();
    }
    expect(matchTotpStep(SECRET, totpCode(SECRET, from * STEP_MS, opts), read, opts)).toBe(from);
  });

  it('refuses codes that are not exactly six ASCII digits', () => {
    const now = 1_700_000_000_000;
    const code = totpCode(SECRET, now);
    expect(matchTotpStep(SECRET, code, now)).toBe(totpStep(now));
    const malformed = [
      '',
      code.slice(1),
      `${code}0`,
      `0${code}`,
      ` ${code}`,
      `${code}\n`,
      `+${code.slice(1)}`,
      `-${code.slice(1)}`,
      `${code.slice(0, 5)}a`,
      '1e5000',
      code.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + +d)),
    ];
    for (const bad of malformed) expect(matchTotpStep(SECRET, bad, now)).toBeNull();
  });
});

describe('agreement with oathtool (independent implementation)', () => {
  const times = [59, 1_111_111_109, 1_234_567_890, 2_000_000_000, Math.floor(Date.now() / 1000)];

  it.each(times)('default options at %i s', (seconds) => {
    expect(totpCode(SECRET, seconds * 1000)).toBe(oathtoolCode(SECRET, new Date(seconds * 1000)));
  });

  it('uses the plain key for SHA256/SHA512 with a 20-byte secret', () => {
    const at = new Date(1_234_567_890_000);
    for (const algorithm of ['sha256', 'sha512'] as const) {
      expect(totpCode(SECRET, at.getTime(), { ...TOTP_DEFAULTS, algorithm })).toBe(oathtoolCode(SECRET, at, algorithm));
    }
  });

  it('reads fresh secrets (all 160 bits) the same way', () => {
    const secrets = Array.from({ length: 5 }, newTotpSecret);
    const now = Date.now();
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(totpCode(secret, now)).toBe(oathtoolCode(secret, new Date(now)));
    }
  });
});

describe('newTotpSecret', () => {
  it('keeps the top bit of each random byte (otplib 12 would clear it)', () => {
    // The first character holds the first byte's top five bits; Q..7 means its top bit is set.
    const secrets = Array.from({ length: 64 }, newTotpSecret);
    expect(secrets.some((s) => 'QRSTUVWXYZ234567'.includes(s[0]))).toBe(true);
    expect(new Set(secrets).size).toBe(64);
  });
});

describe('otpauthUri', () => {
  // What an authenticator app reads: the Key URI format's defaults (SHA1, 6 digits, 30 s) apply when a
  // parameter is absent, so otplib 13 leaves them out; each one read here must be the default or absent.
  const read = (uri: string) => {
    const url = new URL(uri);
    const param = (name: string, fallback: string) => url.searchParams.get(name) ?? fallback;
    return {
      scheme: `${url.protocol}//${url.host}`,
      label: url.pathname,
      secret: url.searchParams.get('secret'),
      issuer: url.searchParams.get('issuer'),
      algorithm: param('algorithm', 'SHA1'),
      digits: param('digits', '6'),
      period: param('period', '30'),
    };
  };

  it('builds the standard key URI', () => {
    expect(read(otpauthUri(SECRET, 'alice@example.com'))).toEqual({
      scheme: 'otpauth://totp',
      label: '/Countersign:alice%40example.com',
      secret: SECRET,
      issuer: 'Countersign',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
    expect(read(otpauthUri(SECRET, 'bob', 'Acme Bank'))).toEqual({
      scheme: 'otpauth://totp',
      label: '/Acme%20Bank:bob',
      secret: SECRET,
      issuer: 'Acme Bank',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });
});
