import { newMatchCode } from './match-code';

describe('newMatchCode', () => {
  it('offers three distinct two-digit choices, one of which is the code', () => {
    const positions = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const { code, choices } = newMatchCode();
      expect(code).toMatch(/^[1-9][0-9]$/);
      expect(choices).toHaveLength(3);
      for (const choice of choices) expect(choice).toMatch(/^[1-9][0-9]$/);
      expect(new Set(choices).size).toBe(3);
      expect(choices).toContain(code);
      positions.add(choices.indexOf(code));
    }
    // The code must not sit in a predictable place.
    expect([...positions].sort()).toEqual([0, 1, 2]);
  });
});
