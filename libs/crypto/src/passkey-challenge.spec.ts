import { createHash } from 'node:crypto';
import { passkeyChallenge } from './passkey-challenge';

describe('passkeyChallenge', () => {
  const digest = createHash('sha256').update('a withdrawal').digest();

  it('is base64url SHA-256 over the label, the digest and the challenge id, in that order', () => {
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from('countersign/webauthn/v1'), digest, Buffer.from('3f0b5d1e-7c11-4a5e-9d61-1f1b0a0e8c01')]))
      .digest('base64url');
    expect(passkeyChallenge(digest, '3f0b5d1e-7c11-4a5e-9d61-1f1b0a0e8c01')).toBe(expected);
  });

  it('differs for another withdrawal or another push challenge', () => {
    const other = createHash('sha256').update('another withdrawal').digest();
    expect(passkeyChallenge(digest, 'a')).not.toBe(passkeyChallenge(other, 'a'));
    expect(passkeyChallenge(digest, 'a')).not.toBe(passkeyChallenge(digest, 'b'));
  });

  it('refuses a digest that is not 32 bytes', () => {
    expect(() => passkeyChallenge(Buffer.alloc(31), 'a')).toThrow(TypeError);
  });
});
