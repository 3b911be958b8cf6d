import pino from 'pino';
import { Writable } from 'node:stream';
import { redactUrl } from './log-redaction';
import { pinoOptions } from './logging.module';
import { isWellFormedRequestId } from './request-context';

describe('log redaction', () => {
  it('replaces the token of a link in a URL, and any query string', () => {
    expect(redactUrl('/confirm/AbC123_-xyz')).toBe('/confirm/[redacted]');
    expect(redactUrl('/verify-email/tok?x=1')).toBe('/verify-email/[redacted]?[redacted]');
    expect(redactUrl('/security-notice/tok#frag')).toBe('/security-notice/[redacted]?[redacted]');
    expect(redactUrl('/v1/withdrawals?status=posted')).toBe('/v1/withdrawals?[redacted]');
    expect(redactUrl('/v1/withdrawals/123')).toBe('/v1/withdrawals/123');
  });

  const capture = () => {
    const lines: string[] = [];
    const logger = pino(
      pinoOptions('test', 'info'),
      new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }),
    );
    return { logger, lines };
  };

  it("the apps' logger replaces credentials wherever the listed keys appear, up to three levels down", () => {
    const { logger, lines } = capture();
    const logged = {
      token: 't-1',
      job: { code: '123456', evidence: { totpCode: '654321' } },
      req: { headers: { authorization: 'Bearer b', cookie: 'c=1', 'proxy-authorization': 'Basic p' } },
      res: { headers: { 'set-cookie': 's=1' } },
      list: [{ matchCode: 'AB-12' }],
      safe: { amount: '0.5' },
    };
    logger.info(logged, 'hello');
    expect(lines).toHaveLength(1);
    for (const secret of ['t-1', '123456', '654321', 'Bearer b', 'c=1', 'Basic p', 's=1', 'AB-12']) expect(lines[0]).not.toContain(secret);
    expect(JSON.parse(lines[0])).toMatchObject({
      token: '[redacted]',
      job: { code: '[redacted]', evidence: { totpCode: '[redacted]' } },
      safe: { amount: '0.5' },
      msg: 'hello',
    });
    // What the caller passed is not changed: the line is redacted, the object is not.
    expect(logged.job.evidence.totpCode).toBe('654321');
    logger.info({ caller: Object.freeze({ id: 'alice', secret: 'frozen-secret' }) }, 'frozen');
    expect(lines[1]).not.toContain('frozen-secret');
    expect(JSON.parse(lines[1])).toMatchObject({ caller: { id: 'alice', secret: '[redacted]' } });
  });

  it("a child logger's bindings are redacted at their top level, and an error keeps its message and stack", () => {
    const { logger, lines } = capture();
    const error = Object.assign(new Error('boom'), { token: 'leaky' });
    logger.child({ requestId: 'r-1', sealed: 'box' }).error({ err: error }, 'failed');
    const line = JSON.parse(lines[0]) as { err: { stack: string } };
    expect(lines[0]).not.toContain('box');
    expect(lines[0]).not.toContain('leaky');
    expect(line).toMatchObject({ requestId: 'r-1', sealed: '[redacted]', err: { message: 'boom', type: 'Error' } });
    expect(line.err.stack).toContain('boom');
  });

  it("takes a caller's request id only when it is short and plain", () => {
    expect(isWellFormedRequestId('abcd-1234')).toBe(true);
    expect(isWellFormedRequestId('3f1c9a7e-2b4d-4e8f-9a1b-0c2d3e4f5a6b')).toBe(true);
    for (const bad of ['short', 'x'.repeat(65), 'a b c d e f', 'line\nbreak-xx', '{"json":1}', undefined, ['abcdefgh']])
      expect(isWellFormedRequestId(bad)).toBe(false);
  });
});
