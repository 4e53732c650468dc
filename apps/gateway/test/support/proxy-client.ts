import { AdminCall, eventually } from './test-stack';

export interface ProxyResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** Milliseconds from sending to the full response. */
  ms: number;
}

/** OpenAI's error body, as every proxy error must be shaped. */
export interface OpenAIError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/**
 * One proxy request with a bounded wait: a hung gateway fails the test with a clear error
 * instead of the Jest timeout.
 */
export async function proxyRequest(
  baseUrl: string,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<ProxyResponse> {
  const started = Date.now();
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: parsed, ms: Date.now() - started };
}

/** A small chat completion (the fake answers 12 prompt + 5 completion tokens). */
export function chat(baseUrl: string, key: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}, timeoutMs?: number): Promise<ProxyResponse> {
  return proxyRequest(baseUrl, 'POST', '/v1/chat/completions', key, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], ...extra }, headers, timeoutMs);
}

/**
 * Waits until every gateway knows the key, without spending any of its limits: a body that
 * fails validation is refused before admission (400), an unknown key is a 401.
 */
export async function waitForKey(baseUrls: string[], key: string, timeoutMs = 3_000): Promise<void> {
  for (const baseUrl of baseUrls) {
    await eventually(async () => ((await proxyRequest(baseUrl, 'POST', '/v1/chat/completions', key, {})).status !== 401 ? true : undefined), timeoutMs, `key visible on ${baseUrl}`);
  }
}

let keysIssued = 0;

/**
 * Issues a fresh key (its own limit counters), named `<label> <n>`, over the given settings and
 * waits until every gateway in `proxyUrls` knows it.
 */
export async function issueKey(
  admin: AdminCall,
  proxyUrls: string[],
  label: string,
  settingIds: string[],
  fields: Record<string, unknown> = {},
): Promise<{ key: string; keyId: string }> {
  const n = ++keysIssued;
  const key = `tg-${label}-${n}-${Date.now()}`;
  const created = await admin<{ keyId: string }>('PUT', '/api/key-management/keys', { name: `${label} ${n}`, key, settingIds, ...fields });
  expect(created.status).toBe(200);
  await waitForKey(proxyUrls, key);
  return { key, keyId: created.body.keyId };
}

export function countBy<T>(items: T[], keyOf: (item: T) => string | number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[String(keyOf(item))] = (counts[String(keyOf(item))] ?? 0) + 1;
  return counts;
}
