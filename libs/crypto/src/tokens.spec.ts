import { hashToken, newToken, safeEqual } from './tokens';

describe('tokens', () => {
  it('are 43 base64url characters carrying 256 random bits', () => {
    const tokens = Array.from({ length: 100 }, newToken);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('hash to 32 bytes of SHA-256', () => {
    expect(hashToken('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken(newToken())).toHaveLength(32);
  });

  it('compare in constant time, including different lengths', () => {
    const token = newToken();
    expect(safeEqual(token, token)).toBe(true);
    expect(safeEqual(hashToken(token), hashToken(token))).toBe(true);
    expect(safeEqual(Buffer.from(token), token)).toBe(true);
    expect(safeEqual(token, newToken())).toBe(false);
    expect(safeEqual(token, token.slice(1))).toBe(false);
    expect(safeEqual('', token)).toBe(false);
    expect(safeEqual(Buffer.alloc(0), '')).toBe(true);
  });
});
