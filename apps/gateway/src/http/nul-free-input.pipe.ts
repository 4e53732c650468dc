import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';

/**
 * Refuses any input (body, query, path parameter) holding a NUL character, anywhere in it:
 * Postgres text and jsonb cannot store one, so it would fail as a 500 at the first write or
 * query instead of as the client's 400. Walked iteratively: a deeply nested body cannot
 * overflow the stack.
 */
@Injectable()
export class NulFreeInputPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    if (holdsNul(value)) {
      const name = metadata.data ?? metadata.type;
      throw new GatewayError(GatewayErrorCode.InvalidRequest, `${name} must not contain NUL (\\u0000) characters`, metadata.data ?? null);
    }
    return value;
  }
}

function holdsNul(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (key.includes('\u0000')) return true;
        pending.push(item);
      }
    }
  }
  return false;
}
