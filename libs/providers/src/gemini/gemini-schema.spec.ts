import { GatewayError } from '@tollgate/common';
import { MAX_GEMINI_SCHEMA_NODES, toGeminiSchema } from './gemini-schema';

/** A definition holding `width` references to itself: inlining it grows as width^depth. */
function selfMultiplying(width: number): Record<string, unknown> {
  const properties = Object.fromEntries(Array.from({ length: width }, (_, i) => [`p${i}`, { $ref: '#/$defs/A' }]));
  return { $defs: { A: { type: 'object', properties } }, $ref: '#/$defs/A' };
}

describe('toGeminiSchema', () => {
  it('cuts recursive $refs off instead of looping', () => {
    const tree = {
      type: 'object',
      properties: { children: { type: 'array', items: { $ref: '#/definitions/Node' } } },
      definitions: { Node: { type: 'object', properties: { child: { $ref: '#/definitions/Node' } } } },
    };
    let expected: Record<string, unknown> = { type: 'object' };
    for (let depth = 0; depth < 8; depth++) expected = { type: 'object', properties: { child: expected } };
    expect(toGeminiSchema(tree, 'p')).toEqual({ type: 'object', properties: { children: { type: 'array', items: expected } } });
  });

  it('keeps multi-type unions as anyOf and drops unknown refs to a plain object', () => {
    expect(toGeminiSchema({ anyOf: [{ type: 'string' }, { type: 'integer', format: 'int64' }, { type: 'null' }], description: 'id' }, 'p')).toEqual({
      description: 'id',
      nullable: true,
      anyOf: [{ type: 'string' }, { type: 'integer', format: 'int64' }],
    });
    expect(toGeminiSchema({ $ref: 'https://example.com/schema.json' }, 'p')).toEqual({ type: 'object' });
  });
});

describe('toGeminiSchema on implicit objects', () => {
  it('types a schema that has properties but no type as an object (Gemini takes properties on OBJECT only)', () => {
    expect(toGeminiSchema({ properties: { city: { type: 'string' } }, required: ['city'] }, 'p')).toEqual({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    });
  });
});

describe('toGeminiSchema on schemas that multiply when inlined', () => {
  it('refuses, as a 400 naming the field, a 300-byte schema that would inline to 1.7 million nodes', () => {
    let thrown: unknown;
    try {
      toGeminiSchema(selfMultiplying(6), 'tools[0].function.parameters');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect((thrown as GatewayError).status).toBe(400);
    expect((thrown as GatewayError).param).toBe('tools[0].function.parameters');
    expect((thrown as GatewayError).message).toContain(`${MAX_GEMINI_SCHEMA_NODES}`);
  });

  it('still inlines shared definitions that stay under the cap', () => {
    const converted = toGeminiSchema(selfMultiplying(2), 'p');
    let level: Record<string, unknown> | undefined = converted as Record<string, unknown>;
    let depth = 0;
    while (level?.properties) {
      level = (level.properties as Record<string, Record<string, unknown>>).p1;
      depth += 1;
    }
    // Every level inlined down to the reference depth cap (8), about 2^9 nodes in all.
    expect(depth).toBe(8);
  });
});
