import pino from 'pino';
import { Writable } from 'node:stream';
import { redactUrl, REDACTED_PATHS } from './log-redaction';
import { isWellFormedRequestId } from './request-context';

describe('log redaction', () => {
  it('replaces the token of a link in a URL, and any query string', () => {
    expect(redactUrl('/confirm/AbC123_-xyz')).toBe('/confirm/[redacted]');
    expect(redactUrl('/verify-email/tok?x=1')).toBe('/verify-email/[redacted]?[redacted]');
    expect(redactUrl('/security-notice/tok#frag')).toBe('/security-notice/[redacted]?[redacted]');
    expect(redactUrl('/v1/withdrawals?status=posted')).toBe('/v1/withdrawals?[redacted]');
    expect(redactUrl('/v1/withdrawals/123')).toBe('/v1/withdrawals/123');
  });

  it('pino replaces credentials wherever the listed keys appear', () => {
    const lines: string[] = [];
    const logger = pino(
      { redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
      new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }),
    );
    logger.info(
      { token: 't-1', job: { code: '123456', evidence: { totpCode: '654321' } }, req: { headers: { authorization: 'Bearer b', cookie: 'c=1' } } },
      'hello',
    );
    expect(lines).toHaveLength(1);
    for (const secret of ['t-1', '123456', '654321', 'Bearer b', 'c=1']) expect(lines[0]).not.toContain(secret);
    expect(JSON.parse(lines[0])).toMatchObject({ token: '[redacted]', job: { code: '[redacted]', evidence: { totpCode: '[redacted]' } } });
  });

  it("takes a caller's request id only when it is short and plain", () => {
    expect(isWellFormedRequestId('abcd-1234')).toBe(true);
    expect(isWellFormedRequestId('3f1c9a7e-2b4d-4e8f-9a1b-0c2d3e4f5a6b')).toBe(true);
    for (const bad of ['short', 'x'.repeat(65), 'a b c d e f', 'line\nbreak-xx', '{"json":1}', undefined, ['abcdefgh']])
      expect(isWellFormedRequestId(bad)).toBe(false);
  });
});
