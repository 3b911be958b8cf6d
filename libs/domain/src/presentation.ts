import escapeHtml from 'escape-html';

/**
 * How a withdrawal is shown to a person, on the confirmation pages and in every email, so that both say
 * the same thing the same way: the destination in blocks for comparing by eye, times in words.
 */

/** A destination address in blocks of `size` characters; joined, the blocks are the address again. */
export function inGroups(value: string, size = 4): string[] {
  const groups: string[] = [];
  for (let i = 0; i < value.length; i += size) groups.push(value.slice(i, i + size));
  return groups;
}

/**
 * Intl formatters are costly to build (a CPU profile of the notification worker had building them at 4 %
 * of its time): one per zone, kept. Zones come from customers' browsers, so the cache is bounded.
 */
const FORMATTERS_KEPT = 500;
const zoneNames = new Map<string, string | null>();
const inWords = new Map<string, Intl.DateTimeFormat>();

function kept<V>(cache: Map<string, V>, key: string, make: () => V): V {
  let value = cache.get(key);
  if (value === undefined && !cache.has(key)) {
    if (cache.size >= FORMATTERS_KEPT) cache.clear();
    value = make();
    cache.set(key, value);
  }
  return value as V;
}

/** A time zone the runtime knows (an IANA name such as `Europe/Berlin`), else undefined. */
export function knownTimeZone(timeZone: string | undefined | null): string | undefined {
  if (!timeZone) return undefined;
  const known = kept(zoneNames, timeZone, () => {
    try {
      return new Intl.DateTimeFormat('en-GB', { timeZone }).resolvedOptions().timeZone;
    } catch {
      return null;
    }
  });
  return known ?? undefined;
}

/** "Sunday 29 November 2026 at 16:51 UTC", or in `timeZone` with its short name ("… at 17:51 CET"). */
export function timeInWords(at: Date, timeZone = 'UTC'): string {
  const zone = knownTimeZone(timeZone) ?? 'UTC';
  return kept(
    inWords,
    zone,
    () =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone: zone,
        weekday: 'long',
        day: 'numeric',
        month: 'long',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'short',
      }),
  ).format(at);
}

/** "16:51 UTC": the clock time alone, for beside a local time. */
export function clockInUtc(at: Date): string {
  return UTC_CLOCK.format(at);
}
const UTC_CLOCK = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });

/** A time in words in the customer's zone when it is known, with UTC beside; in UTC alone otherwise. */
export function timeForCustomer(at: Date, timeZone?: string | null): string {
  const zone = knownTimeZone(timeZone);
  if (!zone || zone === 'UTC' || zone === 'Etc/UTC') return timeInWords(at);
  return `${timeInWords(at, zone)} (${clockInUtc(at)})`;
}

/** "10 minutes", "2 hours", "1 day": a length of time in words, rounded to its largest sensible unit. */
export function durationInWords(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  const unit = (n: number, name: string) => `${n} ${name}${n === 1 ? '' : 's'}`;
  if (seconds < 60) return unit(seconds, 'second');
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return unit(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 48) return unit(hours, 'hour');
  return unit(Math.round(hours / 24), 'day');
}

/** "3 minutes ago", "in 9 minutes", "just now": `at` seen from `now`. */
export function relativeTime(at: Date, now: Date = new Date()): string {
  const ms = at.getTime() - now.getTime();
  if (Math.abs(ms) < 45_000) return ms > 0 ? 'in less than a minute' : 'just now';
  return ms > 0 ? `in ${durationInWords(ms)}` : `${durationInWords(ms)} ago`;
}

/** HTML built by `markup`: its interpolations are escaped unless they are `Html` themselves. */
export class Html {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

type HtmlValue = Html | string | number | null | undefined | false | readonly HtmlValue[];

function renderHtml(value: HtmlValue): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(renderHtml).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * A template tag for HTML: every interpolated string is escaped (text and attribute values alike, quotes
 * included); `Html` from another `markup` is inserted as it is; arrays are joined; null, undefined and
 * false vanish. Data never needs escaping by hand, so it cannot be forgotten. (Not named `html`, so that
 * Prettier leaves the markup as written: whitespace in it can matter.)
 */
export function markup(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += renderHtml(values[i]) + strings[i + 1];
  return new Html(out);
}
