import { toGeminiSchema } from './gemini-schema';

describe('toGeminiSchema', () => {
  it('cuts recursive $refs off instead of looping', () => {
    const tree = {
      type: 'object',
      properties: { children: { type: 'array', items: { $ref: '#/definitions/Node' } } },
      definitions: { Node: { type: 'object', properties: { child: { $ref: '#/definitions/Node' } } } },
    };
    let expected: Record<string, unknown> = { type: 'object' };
    for (let depth = 0; depth < 8; depth++) expected = { type: 'object', properties: { child: expected } };
    expect(toGeminiSchema(tree)).toEqual({ type: 'object', properties: { children: { type: 'array', items: expected } } });
  });

  it('keeps multi-type unions as anyOf and drops unknown refs to a plain object', () => {
    expect(toGeminiSchema({ anyOf: [{ type: 'string' }, { type: 'integer', format: 'int64' }, { type: 'null' }], description: 'id' })).toEqual({
      description: 'id',
      nullable: true,
      anyOf: [{ type: 'string' }, { type: 'integer', format: 'int64' }],
    });
    expect(toGeminiSchema({ $ref: 'https://example.com/schema.json' })).toEqual({ type: 'object' });
  });
});

describe('toGeminiSchema on implicit objects', () => {
  it('types a schema that has properties but no type as an object (Gemini takes properties on OBJECT only)', () => {
    expect(toGeminiSchema({ properties: { city: { type: 'string' } }, required: ['city'] })).toEqual({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    });
  });
});
