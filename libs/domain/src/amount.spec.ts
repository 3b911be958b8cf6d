import { exceedsAmount, formatAmount, isPositiveAmount } from './amount';

describe('amounts', () => {
  it.each(['0.015', '1', '12345678901234567890.123456789012345678', '0.000000000000000001'])('accepts %s', (v) =>
    expect(isPositiveAmount(v)).toBe(true),
  );
  it.each(['0', '0.0', '-1', '1e3', '01', '1.', '.5', '0.0000000000000000001', '1,5', ' 1', 'NaN'])('refuses %s', (v) =>
    expect(isPositiveAmount(v)).toBe(false),
  );
  it('formats numeric text without trailing zeros', () => {
    expect(formatAmount('1.500000000000000000')).toBe('1.5');
    expect(formatAmount('2.000000000000000000')).toBe('2');
    expect(formatAmount('10')).toBe('10');
  });

  it('compares amounts exactly, strictly above the limit', () => {
    expect(exceedsAmount('1.000000000000000001', '1')).toBe(true);
    expect(exceedsAmount('1.000000000000000000', '1')).toBe(false);
    expect(exceedsAmount('0.9', '1')).toBe(false);
    expect(exceedsAmount('20.5', '20.49')).toBe(true);
  });
});
