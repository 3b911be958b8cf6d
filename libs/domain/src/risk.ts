/** Why a withdrawal is held for an operator's review (shared/API.md "Risk controls"). */
export const HOLD_REASONS = ['anomaly_ip', 'anomaly_device', 'anomaly_destination', 'velocity'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

/** What the anomaly holds count distinct customers by: where a request came from, which device, where it goes. */
export const ANOMALY_KINDS = ['ip', 'device', 'destination'] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export const ANOMALY_REASON: Record<AnomalyKind, HoldReason> = {
  ip: 'anomaly_ip',
  device: 'anomaly_device',
  destination: 'anomaly_destination',
};

/** A device id as frontends send it in X-Device-Id: visible ASCII, bounded. */
export const DEVICE_ID_PATTERN = /^[\x21-\x7e]{1,200}$/;

/**
 * The requesting address as the anomaly holds count it: an IPv4 address as it is (an IPv4-mapped IPv6
 * address as its IPv4), an IPv6 address by its /64 — one customer's network hands out a /64, so counting
 * single IPv6 addresses would let one attacker rotate through millions of them.
 */
export function anomalyIpKey(ip: string): string {
  const address = ip.replace(/%.*$/, '').toLowerCase();
  if (!address.includes(':')) return address.slice(0, 64);
  const groups = expandIpv6(address);
  if (!groups) return address.slice(0, 64);
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    const [high, low] = groups.slice(6).map((g) => parseInt(g, 16));
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, each without leading zeros; undefined when it is not one. */
function expandIpv6(address: string): string[] | undefined {
  let text = address;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    if ([a, b, c, d].some((n) => n > 255)) return undefined;
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16).toString(16));
}

/**
 * A destination as the anomaly holds count it: its network and address, the address in lower case where
 * its encoding ignores case (0x-hex, bech32), so that one destination written in two cases is one key.
 */
export function anomalyDestinationKey(network: string, address: string): string {
  const caseless =
    /^0x[0-9a-fA-F]+$/.test(address) ||
    (/^[a-zA-Z]{1,20}1[02-9ac-hj-np-zAC-HJ-NP-Z]{6,}$/.test(address) && (address === address.toLowerCase() || address === address.toUpperCase()));
  return `${network}:${caseless ? address.toLowerCase() : address}`;
}

/** Distinct customers per key in the window, this request's customer included. */
export type AnomalyCounts = Partial<Record<AnomalyKind, number>>;

/** The first key over the limit (more than `maxAccounts` distinct customers), in the order IP, device, destination. */
export function anomalyHold(counts: AnomalyCounts, maxAccounts: number): AnomalyKind | undefined {
  return ANOMALY_KINDS.find((kind) => (counts[kind] ?? 0) > maxAccounts);
}

export interface RequestRate {
  /** Customers who requested a withdrawal in the last minute, this one included (one account counts once). */
  lastMinute: number;
  /** Customer-minutes with a request in the hour before that minute (its per-minute mean is this / 60). */
  trailingHour: number;
}

export interface AutoPausePolicy {
  /** 0: never. */
  factor: number;
  minPerMinute: number;
}

/**
 * The automatic pause: the last minute's requests exceed `factor` times the trailing hour's per-minute
 * mean, and are at least `minPerMinute` — so a quiet hour followed by a handful of requests pauses nothing.
 */
export function autoPauseTrips(rate: RequestRate, policy: AutoPausePolicy): boolean {
  if (policy.factor <= 0) return false;
  return rate.lastMinute >= policy.minPerMinute && rate.lastMinute > (policy.factor * rate.trailingHour) / 60;
}
