import { GatewayError } from '@tollgate/common';
import { parseWithExactNumbers } from './exact-numbers';

describe('parseWithExactNumbers', () => {
  it('keeps integers past 2^53 and numbers past the double range as written, through JSON.stringify', () => {
    const text = '{"model":"m","seed":9007199254740993,"n":-12345678901234567890,"x":{"big":1e400,"small":0.5,"list":[18446744073709551615,2]}}';
    const parsed = parseWithExactNumbers(text);
    expect(parsed).toBeDefined();
    expect(JSON.stringify(parsed!.value)).toBe(text);
    // Numbers a double holds exactly stay numbers, for the gateway's own checks.
    const value = parsed!.value as { x: { small: unknown; list: unknown[] } };
    expect(value.x.small).toBe(0.5);
    expect(value.x.list[1]).toBe(2);
  });

  it('leaves bodies without such a number to the plain parser, digits inside strings included', () => {
    expect(parseWithExactNumbers('{"model":"gpt-4o-mini","seed":42,"temperature":0.7}')).toBeUndefined();
    const withDigits = parseWithExactNumbers('{"content":"call 12345678901234567890","seed":3}');
    expect(withDigits && JSON.stringify(withDigits.value)).toBe('{"content":"call 12345678901234567890","seed":3}');
  });

  it('refuses prototype keys and malformed JSON as invalid JSON', () => {
    for (const text of ['{"__proto__":{"x":1},"seed":12345678901234567890}', '{"constructor":{"prototype":{"x":1}},"seed":12345678901234567890}', '{"seed":12345678901234567890']) {
      expect(() => parseWithExactNumbers(text)).toThrow(GatewayError);
    }
  });
});
