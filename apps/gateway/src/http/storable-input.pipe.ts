import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';

/**
 * Refuses admin input (body, query, path parameter) that would not be kept as sent, anywhere in
 * it, before validation:
 * - a NUL character: Postgres text and jsonb cannot store one, so it failed as a 500 at the
 *   first write or query instead of as the client's 400;
 * - a lone UTF-16 surrogate (`"\ud800"`): UTF-8 has no encoding for it, so it was stored as
 *   U+FFFD, and a user registered under that id was not the user stored;
 * - a field named like a method every object has (`toString`, `constructor`, ...):
 *   class-validator's whitelist looks field names up in a plain object, finds these there, and
 *   let them through as if the DTO declared them; one was even stored among the encrypted
 *   credentials of a provider setting.
 * Walked iteratively: a deeply nested body cannot overflow the stack.
 */
@Injectable()
export class StorableInputPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const found = firstUnstorable(value, metadata.data ?? '');
    if (found) {
      const name = found.path || metadata.type;
      throw new GatewayError(GatewayErrorCode.InvalidRequest, `${name} ${found.problem}`, found.path || null);
    }
    return value;
  }
}

/** Names no admin DTO declares, which its whitelist cannot tell from declared ones. */
const OBJECT_PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode: it holds a lone UTF-16 surrogate, which cannot be stored';
  return null;
}

/** The first value or field name that would not be kept as sent, with where it is (`setting.apiKey`, `tags[2]`). */
function firstUnstorable(root: unknown, rootPath: string): { path: string; problem: string } | null {
  const pending: Array<[unknown, string]> = [[root, rootPath]];
  while (pending.length > 0) {
    const [value, path] = pending.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { path, problem };
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => pending.push([item, `${path}[${i}]`]));
    } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
      for (const [key, item] of Object.entries(value)) {
        const field = path ? `${path}.${key}` : key;
        const problem = textProblem(key);
        if (problem) return { path, problem: `has a field name that ${problem}` };
        if (OBJECT_PROTOTYPE_NAMES.has(key)) return { path: field, problem: 'is not a known field' };
        pending.push([item, field]);
      }
    }
  }
  return null;
}
