import { isRecord } from '@tollgate/common';

/**
 * What a successful answer to an operation has at its top level, whichever provider gave it: an
 * error body lacks it. Members of every provider's answer are listed together, since no
 * provider's error body carries another's success member.
 */
const SUCCESS_MEMBERS = {
  /** OpenAI's chat.completion, Gemini's generateContent, Anthropic's Message. */
  chat: ['choices', 'candidates', 'content'],
  /** OpenAI's text_completion. */
  completions: ['choices'],
  /** OpenAI's embedding list, Gemini's batchEmbedContents. */
  embeddings: ['data', 'embeddings'],
  /**
   * An operation relayed on a native path, whose answer the gateway does not know: any object of
   * the provider's API names what it is (`object` for OpenAI's, `type` for Anthropic's) or has an
   * id or a list. Some of them hold a non-null `error` when what they describe failed (a failed
   * fine-tuning job, a failed background response, an Azure image operation) and are answers all
   * the same.
   */
  native: ['object', 'type', 'id', 'data', 'choices'],
} as const;

export type AnsweredOperation = keyof typeof SUCCESS_MEMBERS;

/** The status an error answer is given when its body names none. */
export const ERROR_ANSWER_DEFAULT_STATUS = 502;

/**
 * Whether a 2xx answer is in fact an error, and the status it is: some OpenAI-compatible servers
 * and in-house proxies answer a failure with 200 and `{"error":{...}}`. It is one when its JSON
 * body's top-level `error` is a non-null object and the body lacks the success shape of the
 * operation (a batch's or a response's `"error": null`, or a failed job's error object beside
 * its `object`, are answers). Its status is the one the body names (a numeric `code` or `status`,
 * in the error or beside it, 400 to 599: Gemini's `code: 429`, Azure's `code: "429"`), else 502.
 * Null for an answer.
 */
export function errorAnswerStatus(raw: Buffer, operation: AnsweredOperation): number | null {
  if (!holdsErrorObject(raw)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(parsed) || !isRecord(parsed.error)) return null;
  const body = parsed;
  if (SUCCESS_MEMBERS[operation].some((member) => isSuccessMember(body[member]))) return null;
  const error = parsed.error;
  return [error.code, error.status, body.status, body.code].map(errorStatusOf).find((status) => status !== null) ?? ERROR_ANSWER_DEFAULT_STATUS;
}

const ERROR_MEMBER = Buffer.from('"error"');
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
/** JSON's whitespace: space, tab, line feed, carriage return. */
const JSON_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Whether a member named error holds an object somewhere in the body (`"error": {`), the only
 * answers worth parsing a second time (the caller parses them anyway, for their usage). Every
 * Responses API answer holds `"error": null`, and one with an image is megabytes: parsing it
 * again held the event loop for milliseconds per request. In a JSON string a quote is escaped,
 * so text that says `"error": {` does not match.
 */
function holdsErrorObject(raw: Buffer): boolean {
  for (let at = raw.indexOf(ERROR_MEMBER); at !== -1; at = raw.indexOf(ERROR_MEMBER, at + ERROR_MEMBER.length)) {
    let next = skipSpace(raw, at + ERROR_MEMBER.length);
    if (raw[next] !== COLON) continue;
    next = skipSpace(raw, next + 1);
    if (raw[next] === OPEN_BRACE) return true;
  }
  return false;
}

function skipSpace(raw: Buffer, from: number): number {
  let at = from;
  while (at < raw.length && JSON_SPACE.has(raw[at])) at += 1;
  return at;
}

/** Present, and not what error bodies themselves say they are (vLLM's `"object": "error"`, Anthropic's `"type": "error"`). */
function isSuccessMember(value: unknown): boolean {
  return value !== undefined && value !== null && value !== 'error';
}

function errorStatusOf(value: unknown): number | null {
  const status = typeof value === 'number' ? value : typeof value === 'string' && /^\d{3}$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isInteger(status) && status >= 400 && status <= 599 ? status : null;
}
