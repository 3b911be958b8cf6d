import { durationInWords, inGroups, knownTimeZone, markup, relativeTime, timeForCustomer, timeInWords } from './presentation';

describe('presentation', () => {
  it('cuts an address into blocks of four that join back into it', () => {
    expect(inGroups('bc1qxy2kgdygjrsqtz')).toEqual(['bc1q', 'xy2k', 'gdyg', 'jrsq', 'tz']);
    expect(inGroups('abcd')).toEqual(['abcd']);
    expect(inGroups('')).toEqual([]);
  });

  it('says times in words, in UTC or in a known zone with UTC beside', () => {
    const at = new Date('2026-07-04T09:05:00Z');
    expect(timeInWords(at)).toBe('Saturday, 4 July 2026 at 09:05 UTC');
    expect(timeForCustomer(at, 'Europe/Berlin')).toBe('Saturday, 4 July 2026 at 11:05 CEST (09:05 UTC)');
    expect(timeForCustomer(at, 'UTC')).toBe('Saturday, 4 July 2026 at 09:05 UTC');
    expect(timeForCustomer(at, 'Not/A_Zone')).toBe('Saturday, 4 July 2026 at 09:05 UTC');
    expect(timeForCustomer(at, null)).toBe('Saturday, 4 July 2026 at 09:05 UTC');
    expect(knownTimeZone('Etc/Nowhere')).toBeUndefined();
  });

  it('says lengths and distances of time in words', () => {
    expect(durationInWords(10 * 60_000)).toBe('10 minutes');
    expect(durationInWords(60_000)).toBe('1 minute');
    expect(durationInWords(24 * 3600_000)).toBe('24 hours');
    expect(durationInWords(3 * 24 * 3600_000)).toBe('3 days');
    const now = new Date('2026-07-04T09:05:00Z');
    expect(relativeTime(new Date(now.getTime() + 9 * 60_000), now)).toBe('in 9 minutes');
    expect(relativeTime(new Date(now.getTime() - 2 * 60_000), now)).toBe('2 minutes ago');
    expect(relativeTime(new Date(now.getTime() - 10_000), now)).toBe('just now');
  });

  it('escapes every interpolated value in markup``, text and attributes alike, and nests markup as it is', () => {
    const hostile = `"><script>alert('x')</script>&`;
    const inner = markup`<b>${hostile}</b>`;
    expect(inner.value).toBe('<b>&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</b>');
    expect(markup`<a href="${hostile}">${inner}</a>`.value).toBe(
      '<a href="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"><b>&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</b></a>',
    );
    expect(markup`<p>${['<i>', markup`<i>`, 3, null, undefined, false]}</p>`.value).toBe('<p>&lt;i&gt;<i>3</p>');
  });
});
