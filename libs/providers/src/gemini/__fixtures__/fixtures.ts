import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompletionIds } from '../completion-ids';

export function fixture(name: string): Buffer {
  return readFileSync(join(__dirname, name));
}

export function jsonFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fixture(name).toString('utf8')) as T;
}

/** Deterministic ids so specs can compare exact objects. */
export function fixedIds(): CompletionIds {
  let next = 0;
  return { completionId: 'chatcmpl-fixed', created: 1_760_000_000, toolCallId: () => `call_${++next}` };
}
