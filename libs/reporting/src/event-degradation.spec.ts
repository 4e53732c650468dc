import { StoredParts, minimalForm, withoutUnstorableParts } from './event-degradation';

const KEY_ID = '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b';

const parts = (fields: Partial<StoredParts> = {}): StoredParts => ({
  tags: ['team-a'],
  keyId: KEY_ID,
  settingId: null,
  provider: 'openai',
  model: 'gpt-4o-mini',
  path: '/v1/chat/completions',
  method: 'POST',
  customId: 'order-17',
  userId: 'bob',
  errorCode: null,
  request: '{"model":"gpt-4o-mini"}',
  response: '{"id":"chatcmpl-1"}',
  ...fields,
});

describe('withoutUnstorableParts', () => {
  it('changes nothing in an event Postgres can store', () => {
    expect(withoutUnstorableParts(parts())).toEqual({ replacements: {}, degradedFields: [] });
  });

  it('drops ids that hold NUL (another id would be someone else), and only those', () => {
    expect(withoutUnstorableParts(parts({ userId: 'bob\u0000', customId: 'order\u000017' }))).toEqual({
      replacements: { userId: null, customId: null },
      degradedFields: ['custom_id', 'user_id'],
    });
  });

  it('drops key and setting ids that are not uuids: no key or setting has one', () => {
    expect(withoutUnstorableParts(parts({ keyId: 'not-a-uuid', settingId: 'nor-this' }))).toEqual({
      replacements: { keyId: null, settingId: null },
      degradedFields: ['key_id', 'setting_id'],
    });
  });

  it('cuts the NULs out of other text, and drops the tags that hold one', () => {
    const degraded = withoutUnstorableParts(
      parts({ tags: ['team-a', 'bad\u0000tag'], model: 'gpt\u0000-4o', path: '/v1/chat\u0000', errorCode: 'x\u0000', request: 'a\u0000b\u0000c', response: '\u0000' }),
    );
    expect(degraded).toEqual({
      replacements: { tags: ['team-a'], model: 'gpt-4o', path: '/v1/chat', errorCode: 'x', request: 'abc', response: '' },
      degradedFields: ['tags', 'model', 'path', 'error_code', 'request', 'response'],
    });
  });
});

describe('minimalForm', () => {
  it('drops every optional part that has a value, keeping what counts the cost', () => {
    expect(minimalForm(parts())).toEqual({
      replacements: { tags: [], model: '', customId: null, userId: null, request: null, response: null },
      degradedFields: ['tags', 'model', 'custom_id', 'user_id', 'request', 'response'],
    });
  });

  it('mends the required parts as withoutUnstorableParts does, and names only what it changed', () => {
    const bare = parts({ tags: [], model: '', customId: null, userId: null, request: null, response: null, errorCode: 'timeout', provider: 'open\u0000ai', keyId: 'nope' });
    expect(minimalForm(bare)).toEqual({
      replacements: { keyId: null, provider: 'openai', errorCode: null },
      degradedFields: ['key_id', 'provider', 'error_code'],
    });
  });

  it('is nothing to try for an event with no optional part', () => {
    expect(minimalForm(parts({ tags: [], model: '', customId: null, userId: null, request: null, response: null }))).toEqual({ replacements: {}, degradedFields: [] });
  });
});
