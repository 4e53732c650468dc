import { MAX_JSON_DEPTH, jsonNestedDeeperThan } from './json-depth';

describe('jsonNestedDeeperThan', () => {
  const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

  it('counts arrays and objects inside each other, up to the limit included', () => {
    expect(jsonNestedDeeperThan(nested(300), 300)).toBe(false);
    expect(jsonNestedDeeperThan(nested(301), 300)).toBe(true);
    expect(jsonNestedDeeperThan(`{"a":${'{"b":'.repeat(300)}1${'}'.repeat(300)}}`, 300)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ content: '['.repeat(5_000), tricky: '\\"[[[' + '{'.repeat(1_000) });
    expect(jsonNestedDeeperThan(text, 10)).toBe(false);
  });

  it('counts siblings once: depth, not the number of brackets', () => {
    const wide = JSON.stringify({ messages: Array.from({ length: 2_000 }, () => ({ role: 'user', content: [{ type: 'text', text: 'x' }] })) });
    expect(jsonNestedDeeperThan(wide, MAX_JSON_DEPTH)).toBe(false);
  });
});
