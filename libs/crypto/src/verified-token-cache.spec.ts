import { VerifiedTokenCache } from './verified-token-cache';

describe('VerifiedTokenCache', () => {
  let now = 1_000_000;
  const clock = () => now;
  const customer = { id: 'alice', roles: [] };

  it('answers a verified token until its exp, and not a moment after', () => {
    const cache = new VerifiedTokenCache(10, clock);
    cache.remember('t1', customer, 1_000 + 60);
    expect(cache.get('t1')).toEqual(customer);
    now = 1_059_999;
    expect(cache.get('t1')).toEqual(customer);
    now = 1_060_000;
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.size).toBe(0);
    now = 1_000_000;
  });

  it('knows only the exact token it verified', () => {
    const cache = new VerifiedTokenCache(10, clock);
    cache.remember('header.payload.signature', customer, 2_000);
    expect(cache.get('header.payload.signaturX')).toBeUndefined();
    expect(cache.get('header.payload.signature ')).toBeUndefined();
  });

  it("never keeps an operator's token", () => {
    const cache = new VerifiedTokenCache(10, clock);
    cache.remember('op', { id: 'olga', roles: ['operator'] }, 2_000);
    expect(cache.get('op')).toBeUndefined();
  });

  it('holds at most its capacity, dropping the oldest first', () => {
    const cache = new VerifiedTokenCache(3, clock);
    for (const t of ['a', 'b', 'c', 'd']) cache.remember(t, { id: t, roles: [] }, 2_000);
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('d')?.id).toBe('d');
  });
});
