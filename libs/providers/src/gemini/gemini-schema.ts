import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { GeminiSchema } from './gemini.types';

/** Schema fields Gemini accepts; anything else (additionalProperties, $schema, ...) is a 400. */
const KEPT_FIELDS = new Set([
  'title',
  'description',
  'nullable',
  'enum',
  'default',
  'example',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'minProperties',
  'maxProperties',
  'propertyOrdering',
]);

/** The Gemini API rejects other formats ("email", "uri", ...) on these types. */
const ALLOWED_FORMATS: Record<string, string[]> = {
  string: ['enum', 'date-time'],
  number: ['float', 'double'],
  integer: ['int32', 'int64'],
};

/** Local `$ref`s are inlined this deep; recursive schemas are cut off below it. */
const MAX_REF_DEPTH = 8;

/**
 * Inlining copies a definition at every place that refers to it, so a schema of a few hundred
 * bytes whose definitions each refer to another several times grows exponentially (six
 * references per level, eight levels: 1.7 million nodes, seconds of CPU and hundreds of MB).
 * Real tool and response schemas stay far below this many nodes once inlined.
 */
export const MAX_GEMINI_SCHEMA_NODES = 10_000;

type JsonSchema = Record<string, unknown>;

/**
 * Best-effort JSON Schema → Gemini Schema, for tool parameters and `json_schema` response
 * formats. OpenAI "strict" schemas always carry `additionalProperties: false`, which Gemini
 * rejects, so unknown fields are dropped rather than passed on; `$ref`s into `$defs` are
 * inlined, `oneOf` becomes `anyOf`, and `["x", "null"]` types become `nullable`. Constraints
 * Gemini cannot express are lost, so the model may not honour them exactly.
 */
export function toGeminiSchema(schema: unknown, param: string): GeminiSchema {
  const root = asObject(schema) ?? {};
  const defs = { ...asObject(root.definitions), ...asObject(root.$defs) };
  let nodes = 0;
  const convert = (node: JsonSchema, depth: number): GeminiSchema => {
    if (++nodes > MAX_GEMINI_SCHEMA_NODES) {
      throw new GatewayError(
        GatewayErrorCode.InvalidRequest,
        `This JSON schema has more than ${MAX_GEMINI_SCHEMA_NODES} nodes once its $refs are inlined, as Gemini needs them; refer to shared definitions less often.`,
        param,
      );
    }
    return convertNode(node, defs, depth, convert);
  };
  return convert(root, 0);
}

type Convert = (schema: JsonSchema, depth: number) => GeminiSchema;

function convertNode(schema: JsonSchema, defs: JsonSchema, depth: number, convert: Convert): GeminiSchema {
  if (typeof schema.$ref === 'string') {
    const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name ? asObject(defs[name]) : null;
    if (!target || depth >= MAX_REF_DEPTH) return { type: 'object' };
    return convert({ ...target, ...withoutKey(schema, '$ref') }, depth + 1);
  }
  const out: GeminiSchema = {};
  for (const [key, value] of Object.entries(schema)) if (KEPT_FIELDS.has(key)) out[key] = value;

  const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter((t): t is string => typeof t === 'string');
  // JSON Schema lets `properties` imply an object; Gemini takes properties on OBJECT types only.
  const type = types.find((t) => t !== 'null') ?? (asObject(schema.properties) ? 'object' : undefined);
  if (type) out.type = type;
  if (types.includes('null')) out.nullable = true;
  if (type && typeof schema.format === 'string' && ALLOWED_FORMATS[type]?.includes(schema.format)) out.format = schema.format;
  if (schema.const !== undefined && out.enum === undefined) {
    out.enum = [schema.const];
    if (!out.type && typeof schema.const === 'string') out.type = 'string';
  }

  const properties = asObject(schema.properties);
  if (properties && Object.keys(properties).length > 0) {
    // Gemini rejects an empty `properties` map on an object, so it is left out instead.
    out.properties = Object.fromEntries(Object.entries(properties).map(([name, value]) => [name, convert(asObject(value) ?? {}, depth)]));
    if (Array.isArray(schema.required)) out.required = schema.required.filter((name): name is string => typeof name === 'string' && name in properties);
  }
  const items = Array.isArray(schema.items) ? schema.items[0] : schema.items;
  if (asObject(items)) out.items = convert(asObject(items)!, depth);

  const variants = [schema.anyOf, schema.oneOf].find(Array.isArray) as unknown[] | undefined;
  if (variants) {
    const nonNull = variants.map(asObject).filter((v): v is JsonSchema => v !== null && v.type !== 'null');
    if (nonNull.length < variants.length) out.nullable = true;
    if (nonNull.length === 1 && !type) Object.assign(out, convert(nonNull[0], depth));
    else if (nonNull.length > 0) out.anyOf = nonNull.map((v) => convert(v, depth));
  }
  return out;
}

function asObject(value: unknown): JsonSchema | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonSchema) : null;
}

function withoutKey(schema: JsonSchema, key: string): JsonSchema {
  const { [key]: _removed, ...rest } = schema;
  return rest;
}
