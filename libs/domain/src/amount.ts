/** Amounts cross the edge as decimal strings and live in Postgres as numeric(38,18): never a float. */
export const AMOUNT_PATTERN = /^(0|[1-9][0-9]{0,19})(\.[0-9]{1,18})?$/;

export function isPositiveAmount(value: string): boolean {
  return AMOUNT_PATTERN.test(value) && /[1-9]/.test(value);
}

/** `1.500000000000000000` → `1.5`; `2.000` → `2`. */
export function formatAmount(numericText: string): string {
  if (!numericText.includes('.')) return numericText;
  return numericText.replace(/0+$/, '').replace(/\.$/, '');
}

/** A decimal amount string as an integer count of 10⁻¹⁸ units: amounts compared exactly, never as floats. */
function atoms(amount: string): bigint {
  const [whole, fraction = ''] = amount.split('.');
  return BigInt(whole) * 10n ** 18n + BigInt(fraction.padEnd(18, '0').slice(0, 18));
}

/** Whether `amount` is strictly more than `limit` (both decimal strings, e.g. from numeric(38,18)). */
export function exceedsAmount(amount: string, limit: string): boolean {
  return atoms(amount) > atoms(limit);
}
