import { createHash } from 'node:crypto';

const PLAIN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A deterministic BullMQ job id from its kind and parts, whatever the parts hold: BullMQ refuses ids with
 * ":" and a customer id may contain ":", "/", spaces or anything else. A plain part stays readable; any
 * other becomes "~" and its SHA-256 (base64url), which no plain part can equal. Parts are joined by ".",
 * which no encoded part contains, so different parts never make the same id.
 */
export function jobId(kind: string, ...parts: (string | number)[]): string {
  if (!PLAIN.test(kind)) throw new TypeError('a job kind is plain: letters, digits, "_" and "-"');
  const encoded = parts.map((part) => {
    const text = String(part);
    return PLAIN.test(text) ? text : `~${createHash('sha256').update(text, 'utf8').digest('base64url')}`;
  });
  return [kind, ...encoded].join('.');
}
