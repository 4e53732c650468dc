import { GatewayError } from '@tollgate/common';
import { MAX_GEMINI_SCHEMA_BYTES, MAX_GEMINI_SCHEMA_FIELDS_READ, MAX_GEMINI_SCHEMA_NODES, toGeminiSchema } from './gemini-schema';

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
  /** How many levels of `properties` the output has along its property `key`. */
  const levels = (schema: unknown, key: string): number => {
    let depth = 0;
    let level = schema as Record<string, unknown> | undefined;
    while (level?.properties) {
      level = (level.properties as Record<string, Record<string, unknown>>)[key];
      depth += 1;
    }
    return depth;
  };

  it('inlines a 300-byte schema that would grow to 1.7 million nodes only as deep as fits the budget', () => {
    const converted = toGeminiSchema(selfMultiplying(6), 'p');
    // Five levels inlined (6^0 + ... + 6^4 nodes) and 6^5 cut-off leaves: 9,331 nodes. Six would not fit.
    expect(levels(converted, 'p5')).toBe(5);
    expect(JSON.stringify(converted).length).toBeLessThan(MAX_GEMINI_SCHEMA_BYTES);
  });

  it('still inlines shared definitions the full 8 levels when they fit', () => {
    expect(levels(toGeminiSchema(selfMultiplying(2), 'p'), 'p1')).toBe(8);
  });

  it('inlines a small recursive filter (and / or / not referring to itself) instead of refusing it', () => {
    const filter = {
      $defs: {
        F: {
          type: 'object',
          properties: { field: { type: 'string' }, and: { type: 'array', items: { $ref: '#/$defs/F' } }, or: { type: 'array', items: { $ref: '#/$defs/F' } }, not: { $ref: '#/$defs/F' } },
        },
      },
      $ref: '#/$defs/F',
    };
    const converted = toGeminiSchema(filter, 'p') as { properties: Record<string, unknown> };
    expect(Object.keys(converted.properties)).toEqual(['field', 'and', 'or', 'not']);
    expect(levels(converted, 'not')).toBeGreaterThanOrEqual(5);
  });

  it('charges the text a reference copies: a description shared by thousands of properties is not inlined into each', () => {
    const properties = Object.fromEntries(Array.from({ length: 4_000 }, (_, i) => [`p${i}`, { $ref: '#/$defs/D' }]));
    const schema = { type: 'object', properties, $defs: { D: { type: 'string', description: 'x'.repeat(50_000) } } };
    const converted = toGeminiSchema(schema, 'p') as { properties: Record<string, unknown> };
    // 200 MB inlined; with no reference inlined, each property is a plain object.
    expect(converted.properties.p0).toEqual({ type: 'object' });
    expect(JSON.stringify(converted).length).toBeLessThan(MAX_GEMINI_SCHEMA_BYTES);
  });

  it('charges the fields a reference reads, those Gemini drops included: 6,000 unused fields behind 7,776 references are not read 7,776 times', () => {
    const junk = Object.fromEntries(Array.from({ length: 6_000 }, (_, i) => [`k${i}`, 0]));
    const defs: Record<string, unknown> = { D: { type: 'string', ...junk } };
    for (let level = 0; level < 6; level++) {
      const next = level === 5 ? 'D' : `L${level + 1}`;
      defs[`L${level}`] = { type: 'object', properties: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`p${i}`, { $ref: `#/$defs/${next}` }])) };
    }
    const converted = toGeminiSchema({ $ref: '#/$defs/L0', $defs: defs }, 'p');
    // Inlined only as deep as the budget of fields read allows; the levels below are plain objects.
    expect(levels(converted, 'p0')).toBeLessThan(6);
    // And a schema whose own fields alone are over the budget is refused.
    expect(() => toGeminiSchema({ type: 'object', ...Object.fromEntries(Array.from({ length: MAX_GEMINI_SCHEMA_FIELDS_READ + 1 }, (_, i) => [`k${i}`, 0])) }, 'p')).toThrow('too large for Gemini');
  });

  it('counts a reference as the one node it becomes', () => {
    const properties = Object.fromEntries(Array.from({ length: 9_000 }, (_, i) => [`p${i}`, { $ref: '#/$defs/S' }]));
    const converted = toGeminiSchema({ type: 'object', properties, $defs: { S: { type: 'string' } } }, 'p') as { properties: Record<string, unknown> };
    expect(converted.properties.p8999).toEqual({ type: 'string' });
  });

  it('refuses, as a 400 naming the field, a schema too large with no reference inlined', () => {
    const properties = Object.fromEntries(Array.from({ length: MAX_GEMINI_SCHEMA_NODES }, (_, i) => [`p${i}`, { type: 'string' }]));
    let thrown: unknown;
    try {
      toGeminiSchema({ type: 'object', properties }, 'tools[0].function.parameters');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect(thrown).toMatchObject({ status: 400, param: 'tools[0].function.parameters' });
    expect((thrown as GatewayError).message).toContain('too large for Gemini');
  });
});

describe('toGeminiSchema on enums (Gemini takes string values only)', () => {
  it('keeps string enums and consts; a null among them becomes nullable', () => {
    expect(toGeminiSchema({ type: 'string', enum: ['a', 'b'] }, 'p')).toEqual({ type: 'string', enum: ['a', 'b'] });
    expect(toGeminiSchema({ const: 'fixed' }, 'p')).toEqual({ type: 'string', enum: ['fixed'] });
    expect(toGeminiSchema({ type: ['string', 'null'], enum: ['a', 'b', null] }, 'p')).toEqual({ type: 'string', nullable: true, enum: ['a', 'b'] });
  });

  it('names other values in the description instead, keeping or reading the type', () => {
    expect(toGeminiSchema({ type: 'integer', enum: [1, 2, 3], description: 'Priority.' }, 'p')).toEqual({ type: 'integer', description: 'Priority. One of: 1, 2, 3.' });
    expect(toGeminiSchema({ const: 1 }, 'p')).toEqual({ type: 'integer', description: 'One of: 1.' });
    expect(toGeminiSchema({ const: true }, 'p')).toEqual({ type: 'boolean', description: 'One of: true.' });
    expect(toGeminiSchema({ enum: [1, 2.5] }, 'p')).toEqual({ type: 'number', description: 'One of: 1, 2.5.' });
    expect(toGeminiSchema({ enum: ['a', 1] }, 'p')).toEqual({ description: 'One of: "a", 1.' });
  });
});
