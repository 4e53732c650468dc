import { LocationSyntaxError, booleanAt, parseLocation, stringAt, textAt, valueAt } from './json-location';

const chatRequest = {
  model: 'gpt-4o-mini',
  stream: true,
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi there' },
    { role: 'user', content: [{ type: 'text', text: 'parts' }] },
  ],
};

const chatResponse = {
  choices: [
    { index: 0, message: { content: 'Hello' } },
    { index: 1, message: { content: 'Howdy' } },
    { index: 2, message: { tool_calls: [] } },
  ],
};

describe('parseLocation', () => {
  it('splits on dots, turns a bare # into "each", keeps escaped characters literal', () => {
    expect(parseLocation('messages.#.content').segments).toEqual([{ kind: 'key', key: 'messages' }, { kind: 'each' }, { kind: 'key', key: 'content' }]);
    expect(parseLocation('a\\.b.c').segments).toEqual([{ kind: 'key', key: 'a.b' }, { kind: 'key', key: 'c' }]);
    expect(parseLocation('\\#').segments).toEqual([{ kind: 'key', key: '#' }]);
    expect(parseLocation('data.0.text').segments).toEqual([{ kind: 'key', key: 'data' }, { kind: 'key', key: '0' }, { kind: 'key', key: 'text' }]);
    expect(parseLocation('with\\*star').segments).toEqual([{ kind: 'key', key: 'with*star' }]);
  });

  it.each([
    ['', /empty/],
    ['.model', /empty segment/],
    ['model.', /empty segment/],
    ['a..b', /empty segment/],
    ['choices.*.text', /wildcard/],
    ['choices.te?t', /wildcard/],
    ['a|b', /pipe/],
    ['choices.#(index==0).text', /query/],
    ['@reverse', /modifier/],
    ['trailing\\', /backslash/],
    ['x'.repeat(513), /at most 512/],
    [Array.from({ length: 33 }, () => 'a').join('.'), /more than 32 segments/],
  ])('refuses %s', (source, message) => {
    expect(() => parseLocation(source)).toThrow(LocationSyntaxError);
    expect(() => parseLocation(source)).toThrow(message);
  });
});

describe('valueAt / textAt / stringAt / booleanAt (GJSON semantics)', () => {
  it('reads fields and array indexes', () => {
    expect(stringAt(chatRequest, parseLocation('model'))).toBe('gpt-4o-mini');
    expect(stringAt(chatRequest, parseLocation('messages.1.content'))).toBe('Hi there');
    expect(booleanAt(chatRequest, parseLocation('stream'))).toBe(true);
    expect(valueAt(chatRequest, parseLocation('messages.9.content'))).toBeUndefined();
    expect(valueAt(chatRequest, parseLocation('messages.x'))).toBeUndefined();
    expect(valueAt(chatRequest, parseLocation('model.length'))).toBeUndefined();
  });

  it('# maps the rest of the path over an array, leaving out elements without the field', () => {
    expect(valueAt(chatResponse, parseLocation('choices.#.message.content'))).toEqual(['Hello', 'Howdy']);
    expect(valueAt(chatResponse, parseLocation('choices.#.index'))).toEqual([0, 1, 2]);
    expect(valueAt({ a: [{ b: [{ c: 1 }, { c: 2 }] }, { b: [{ c: 3 }] }] }, parseLocation('a.#.b.#.c'))).toEqual([[1, 2], [3]]);
  });

  it('# as the last segment is the array length', () => {
    expect(valueAt(chatRequest, parseLocation('messages.#'))).toBe(3);
    expect(valueAt(chatRequest, parseLocation('model.#'))).toBeUndefined();
  });

  it('textAt joins the strings found (nested arrays flattened), ignoring other values', () => {
    expect(textAt(chatRequest, parseLocation('messages.#.content'), '\n')).toBe('Be brief.\nHi there');
    expect(textAt(chatResponse, parseLocation('choices.#.message.content'))).toBe('HelloHowdy');
    expect(textAt({ a: [{ b: ['x', 'y'] }, { b: 'z' }] }, parseLocation('a.#.b'), '|')).toBe('x|y|z');
    expect(textAt(chatRequest, parseLocation('stream'))).toBe('');
    expect(textAt(null, parseLocation('a.b'))).toBe('');
    expect(textAt('just a string', parseLocation('a'))).toBe('');
  });

  it('reads keys containing dots through escapes, and never walks the prototype chain', () => {
    expect(stringAt({ 'a.b': { c: 'ok' } }, parseLocation('a\\.b.c'))).toBe('ok');
    expect(valueAt({}, parseLocation('constructor'))).toBeUndefined();
    expect(valueAt({}, parseLocation('__proto__'))).toBeUndefined();
    expect(stringAt(JSON.parse('{"__proto__":{"x":"own"}}'), parseLocation('__proto__.x'))).toBe('own');
  });

  it('stringAt and booleanAt are null for values of another type', () => {
    expect(stringAt({ model: 4 }, parseLocation('model'))).toBeNull();
    expect(booleanAt({ stream: 'true' }, parseLocation('stream'))).toBeNull();
    expect(booleanAt({ options: { streaming: false } }, parseLocation('options.streaming'))).toBe(false);
  });
});
