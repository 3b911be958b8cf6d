import { jobId } from './job-id';

describe('jobId', () => {
  it('keeps plain parts readable', () => {
    expect(jobId('push', '3f0b5d1e-7c11-4a5e-9d61-1f1b0a0e8c01', 'a8c2')).toBe('push.3f0b5d1e-7c11-4a5e-9d61-1f1b0a0e8c01.a8c2');
    expect(jobId('alert-totp-reused', 'alice', 56789012)).toBe('alert-totp-reused.alice.56789012');
  });

  it.each(['google-oauth2:1082', 'tenant/alice', 'alice smith', 'ålice ☃', 'x'.repeat(255), 'a.b', '~abc', ''])(
    'never lets %p put a ":" or a separator into the id',
    (userId) => {
      const id = jobId('alert', userId, 1);
      expect(id).not.toContain(':');
      expect(id.split('.')).toHaveLength(3);
      expect(id.length).toBeLessThanOrEqual(80);
    },
  );

  it('gives different parts different ids, and the same parts the same id', () => {
    const ids = ['a:b', 'a/b', 'a b', 'a_b', 'a-b', 'ab', 'a.b'].map((p) => jobId('k', p));
    expect(new Set(ids).size).toBe(ids.length);
    expect(jobId('k', 'google-oauth2:1')).toBe(jobId('k', 'google-oauth2:1'));
    expect(jobId('k', 'a', 'b.c')).not.toBe(jobId('k', 'a.b', 'c'));
  });

  it('refuses a kind that is not plain', () => {
    expect(() => jobId('bad:kind')).toThrow(TypeError);
  });
});
