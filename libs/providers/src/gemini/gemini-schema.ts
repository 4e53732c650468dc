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

/** Local `$ref`s are inlined at most this deep; recursive schemas are cut off below it. */
const MAX_REF_DEPTH = 8;

/**
 * What an inlined schema may grow to. Inlining copies a definition, its descriptions and enums
 * included, at every place that refers to it: a schema of a few hundred bytes whose definitions
 * each refer to another several times grows exponentially (six references per level, eight
 * levels: 1.7 million nodes, seconds of CPU and hundreds of MB), and one long description shared
 * by thousands of properties made a 200 kB request a 250 MB one. Real tool and response schemas
 * stay far below both once inlined.
 */
export const MAX_GEMINI_SCHEMA_NODES = 10_000;
export const MAX_GEMINI_SCHEMA_BYTES = 1_000_000;
/**
 * Fields read while converting, those dropped included: a shared definition with thousands of
 * fields Gemini does not take costs nothing in the output, yet was read again at every reference
 * (a 60 kB request held the event loop for 30 s).
 */
export const MAX_GEMINI_SCHEMA_FIELDS_READ = 100_000;

type JsonSchema = Record<string, unknown>;

/** Thrown inside a conversion that outgrew its budget; never leaves this module. */
const OVER_BUDGET = Symbol('over budget');

/**
 * Best-effort JSON Schema → Gemini Schema, for tool parameters and `json_schema` response
 * formats. OpenAI "strict" schemas always carry `additionalProperties: false`, which Gemini
 * rejects, so unknown fields are dropped rather than passed on; `$ref`s into `$defs` are
 * inlined, `oneOf` becomes `anyOf`, and `["x", "null"]` types become `nullable`. Constraints
 * Gemini cannot express are lost, so the model may not honour them exactly.
 *
 * References are inlined MAX_REF_DEPTH deep when the result fits the budget; a schema that
 * would outgrow it (a recursive one whose definition refers to itself several times) is
 * inlined less deep, the deepest that fits (found by bisection: the size only grows with the
 * depth). Only a schema too large with no reference inlined at all is refused (400).
 */
export function toGeminiSchema(schema: unknown, param: string): GeminiSchema {
  const root = asObject(schema) ?? {};
  const defs = { ...asObject(root.definitions), ...asObject(root.$defs) };
  const inlined = (maxRefDepth: number): GeminiSchema | null => {
    try {
      return new SchemaInliner(defs, maxRefDepth).convert(root, 0);
    } catch (error) {
      if (error === OVER_BUDGET) return null;
      throw error;
    }
  };
  let best = inlined(MAX_REF_DEPTH);
  if (best === null) {
    // The deepest depth below it that fits (at most three more attempts).
    let low = 0;
    let high = MAX_REF_DEPTH - 1;
    while (low <= high) {
      const depth = Math.floor((low + high) / 2);
      const attempt = inlined(depth);
      if (attempt === null) {
        high = depth - 1;
      } else {
        best = attempt;
        low = depth + 1;
      }
    }
  }
  if (best === null) {
    throw new GatewayError(
      GatewayErrorCode.InvalidRequest,
      `This JSON schema is too large for Gemini: over ${MAX_GEMINI_SCHEMA_NODES} nodes, ${MAX_GEMINI_SCHEMA_BYTES} bytes of descriptions, enums and other values, or ${MAX_GEMINI_SCHEMA_FIELDS_READ} fields to read, even with no $ref inlined.`,
      param,
    );
  }
  return best;
}

/** One conversion, with its reference depth and its budget. */
class SchemaInliner {
  private nodes = 0;
  private bytes = 0;
  private fieldsRead = 0;

  constructor(
    private readonly defs: JsonSchema,
    private readonly maxRefDepth: number,
  ) {}

  convert(schema: JsonSchema, depth: number): GeminiSchema {
    if (typeof schema.$ref === 'string') {
      const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(schema.$ref)?.[1];
      const target = name ? asObject(this.defs[name]) : null;
      if (!target || depth >= this.maxRefDepth) return this.counted({ type: 'object' }, 0);
      this.read(Object.keys(target).length + Object.keys(schema).length);
      return this.convert({ ...target, ...withoutKey(schema, '$ref') }, depth + 1);
    }
    return convertNode(schema, depth, this);
  }

  /** Charges fields about to be read (copied, iterated) to the budget, before reading them. */
  read(fields: number): void {
    this.fieldsRead += fields;
    if (this.fieldsRead > MAX_GEMINI_SCHEMA_FIELDS_READ) throw OVER_BUDGET;
  }

  /** A node of the output, charged to the budget with the values copied into it. */
  counted<T extends GeminiSchema>(node: T, copiedBytes: number): T {
    this.nodes += 1;
    this.bytes += copiedBytes;
    if (this.nodes > MAX_GEMINI_SCHEMA_NODES || this.bytes > MAX_GEMINI_SCHEMA_BYTES) throw OVER_BUDGET;
    return node;
  }
}

/** About how many bytes a JSON value takes (strings by their length). */
function bytesOf(value: unknown): number {
  if (typeof value === 'string') return value.length + 2;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + bytesOf(item) + 1, 2);
  if (value !== null && typeof value === 'object') return Object.entries(value).reduce((sum, [key, item]) => sum + key.length + 3 + bytesOf(item), 2);
  return 8;
}

function convertNode(schema: JsonSchema, depth: number, inliner: SchemaInliner): GeminiSchema {
  const convert = (node: JsonSchema): GeminiSchema => inliner.convert(node, depth);
  const variants = [schema.anyOf, schema.oneOf].find(Array.isArray) as unknown[] | undefined;
  inliner.read(Object.keys(schema).length + (variants?.length ?? 0) + (Array.isArray(schema.type) ? schema.type.length : 0));
  const out: GeminiSchema = {};
  let copiedBytes = 0;
  for (const [key, value] of Object.entries(schema)) {
    if (!KEPT_FIELDS.has(key)) continue;
    out[key] = value;
    copiedBytes += key.length + bytesOf(value);
  }

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
  if (out.enum !== undefined) toStringEnum(out);

  const properties = asObject(schema.properties);
  if (out.enum !== undefined && schema.enum === undefined) copiedBytes += bytesOf(out.enum);
  if (properties) copiedBytes += bytesOf(Object.keys(properties)) + (Array.isArray(schema.required) ? bytesOf(schema.required) : 0);
  // Charged before its children are converted: a copy too large stops the conversion at once.
  inliner.counted(out, copiedBytes);
  if (properties && Object.keys(properties).length > 0) {
    // Gemini rejects an empty `properties` map on an object, so it is left out instead.
    out.properties = Object.fromEntries(Object.entries(properties).map(([name, value]) => [name, convert(asObject(value) ?? {})]));
    if (Array.isArray(schema.required)) out.required = schema.required.filter((name): name is string => typeof name === 'string' && name in properties);
  }
  const items = Array.isArray(schema.items) ? schema.items[0] : schema.items;
  if (asObject(items)) out.items = convert(asObject(items)!);

  if (variants) {
    const nonNull = variants.map(asObject).filter((v): v is JsonSchema => v !== null && v.type !== 'null');
    if (nonNull.length < variants.length) out.nullable = true;
    if (nonNull.length === 1 && !type) Object.assign(out, convert(nonNull[0]));
    else if (nonNull.length > 0) out.anyOf = nonNull.map((v) => convert(v));
  }
  return out;
}

/**
 * Gemini takes `enum` on strings only (`enum[]: string`): one number, boolean or null in it fails
 * the whole request (Pydantic's `Literal[1, 2]`, zod's nullable enums, `const: true`). A null
 * becomes `nullable`; other values that are not strings are named in the description instead,
 * and the type is kept (or read from the values).
 */
function toStringEnum(out: GeminiSchema): void {
  const values = Array.isArray(out.enum) ? (out.enum as unknown[]) : [];
  if (values.includes(null)) out.nullable = true;
  const present = values.filter((value) => value !== null);
  if (present.every((value) => typeof value === 'string')) {
    if (present.length === 0) delete out.enum;
    else out.enum = present;
    return;
  }
  delete out.enum;
  if (!out.type) {
    const kinds = new Set(present.map((value) => (typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value)));
    if (kinds.size === 1) out.type = [...kinds][0] === 'object' ? 'object' : [...kinds][0];
    else if ([...kinds].every((kind) => kind === 'integer' || kind === 'number')) out.type = 'number';
  }
  const allowed = `One of: ${present.map((value) => JSON.stringify(value)).join(', ')}.`;
  out.description = typeof out.description === 'string' && out.description !== '' ? `${out.description} ${allowed}` : allowed;
}

function asObject(value: unknown): JsonSchema | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonSchema) : null;
}

function withoutKey(schema: JsonSchema, key: string): JsonSchema {
  const { [key]: _removed, ...rest } = schema;
  return rest;
}
