import { Problem } from './problem';
import { jsonDepth, MAX_BODY_DEPTH, TextFieldsPipe } from './request-body';

describe('jsonDepth', () => {
  it.each([
    ['{}', 1],
    ['{"a":[1,{"b":2}]}', 3],
    ['"[[[[[[["', 0],
    ['{"a":"\\"]]]{{{"}', 1],
    ['[[[[[[[[[[]]]]]]]]]]', 10],
  ])('counts %s as %i', (text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });

  it('measures 64 KB of nesting without parsing it', () => {
    expect(jsonDepth('['.repeat(65_536))).toBe(65_536);
    expect(MAX_BODY_DEPTH).toBeLessThan(16);
  });
});

describe('TextFieldsPipe', () => {
  const pipe = new TextFieldsPipe();
  const body = { type: 'body' as const };
  /** The problem a value is refused with: its code and detail, as the client reads them. */
  const refusal = (value: unknown, metadata: Parameters<TextFieldsPipe['transform']>[1] = body) => {
    try {
      pipe.transform(value, metadata);
      return undefined;
    } catch (error) {
      return error instanceof Problem ? `${error.code}: ${error.detail}` : String(error);
    }
  };

  it('passes ordinary text, unicode included', () => {
    const value = { label: 'cold wallet — ålice ☃', nested: { list: ['a', 'b'] }, n: 1 };
    expect(pipe.transform(value, body)).toBe(value);
  });

  it.each(['nul\u0000', 'tab\t', 'line\nbreak', 'del\u007f', 'c1\u0085', 'separator\u2028', 'bidi\u202e', 'isolate\u2066'])('refuses %j', (text) => {
    expect(refusal({ deep: [{ label: text }] })).toBe('validation_failed: text fields may not contain control characters');
  });

  it('checks keys, queries and path parameters too', () => {
    expect(refusal({ 'ke\u0000y': 'v' })).toMatch(/^validation_failed/);
    expect(refusal({ cursor: 'x\u0000' }, { type: 'query' })).toMatch(/^validation_failed/);
    expect(refusal('id\u0000', { type: 'param' })).toMatch(/^validation_failed/);
  });
});
