import { GatewayError, GatewayErrorCode } from '@tollgate/common';

export enum ProxyOperation {
  ChatCompletions = 'chat-completions',
  Completions = 'completions',
  Embeddings = 'embeddings',
}

/**
 * Checks only what the gateway itself relies on (model, messages, stream); every other
 * OpenAI field passes through untouched, so new API features need no gateway release.
 */
export function validateProxyBody(operation: ProxyOperation, body: unknown): Record<string, unknown> {
  // An upload's bytes (multipart, octet-stream): the native paths take them, these operations do not.
  if (Buffer.isBuffer(body)) throw new GatewayError(GatewayErrorCode.UnsupportedMediaType, 'unsupported Content-Type: this operation takes application/json');
  if (body === undefined) throw new GatewayError(GatewayErrorCode.InvalidJson, 'The request body is empty: this operation takes a JSON object.');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, 'The request body must be a JSON object.');
  }
  const record = body as Record<string, unknown>;
  requireString(record, 'model');
  switch (operation) {
    case ProxyOperation.ChatCompletions:
      if (!Array.isArray(record.messages) || record.messages.length === 0) {
        throw new GatewayError(GatewayErrorCode.InvalidRequest, "'messages' is required and must be a non-empty array.", 'messages');
      }
      // Every provider's translation reads each message's role (OpenAI refuses the same).
      record.messages.forEach((message: unknown, i) => {
        if (!message || typeof message !== 'object' || typeof (message as { role?: unknown }).role !== 'string') {
          throw new GatewayError(GatewayErrorCode.InvalidRequest, `'messages[${i}]' must be an object with a string 'role'.`, `messages[${i}]`);
        }
      });
      if (record.stream !== undefined && record.stream !== null && typeof record.stream !== 'boolean') {
        throw new GatewayError(GatewayErrorCode.InvalidRequest, "'stream' must be a boolean.", 'stream');
      }
      requireCounts(record, ['max_tokens', 'max_completion_tokens', 'n']);
      break;
    case ProxyOperation.Completions:
      if (record.prompt === undefined || record.prompt === null) {
        throw new GatewayError(GatewayErrorCode.InvalidRequest, "'prompt' is required.", 'prompt');
      }
      requireCounts(record, ['max_tokens', 'n', 'best_of']);
      break;
    case ProxyOperation.Embeddings:
      if (record.input === undefined || record.input === null) {
        throw new GatewayError(GatewayErrorCode.InvalidRequest, "'input' is required.", 'input');
      }
      break;
  }
  return record;
}

/**
 * The output limits a budget reserves from and the providers' translations send must be what
 * they read: counts (OpenAI refuses anything else too). A string "8", a negative number, or one
 * past 2^53 (kept as its source text by the body parser) read as "no limit" in a translation
 * while the budget reserved from another field: a Gemini request got past a budget that way.
 */
function requireCounts(record: Record<string, unknown>, fields: string[]): void {
  for (const field of fields) {
    const value = record[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, `'${field}' must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}.`, field);
    }
  }
}

function requireString(record: Record<string, unknown>, field: string): void {
  if (typeof record[field] !== 'string' || (record[field] as string).trim() === '') {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, `'${field}' is required and must be a string.`, field);
  }
}
