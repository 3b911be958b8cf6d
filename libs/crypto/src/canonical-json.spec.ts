import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('gives the same bytes whatever order the keys arrived in', () => {
    expect(canonicalJson({ withdrawalId: 'w', amount: '0.4', userId: 'u' })).toBe(canonicalJson({ userId: 'u', amount: '0.4', withdrawalId: 'w' }));
  });

  it('drops undefined fields as JSON does, and escapes strings as JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 'line\nbreak "quoted" \u001f ü' })).toBe(JSON.stringify({ b: 'line\nbreak "quoted" \u001f ü' }));
  });

  it.each([1.5, Number.NaN, Infinity, 2 ** 60])('refuses the number %p: amounts travel as strings', (n) => {
    expect(() => canonicalJson({ n })).toThrow(TypeError);
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
    expect(() => canonicalJson({ b: BigInt(1) })).toThrow(TypeError);
  });
});
