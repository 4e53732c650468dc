import { TestStack, eventually } from './test-stack';

/** An event as GET /api/events returns it. */
export interface StoredEvent {
  id: string;
  key_id: string;
  setting_id: string | null;
  model: string;
  provider: string;
  status: number;
  prompt_token_count: number;
  completion_token_count: number;
  token_count_estimated: boolean;
  cost_in_usd: number | null;
  price_known: boolean;
  latency_in_ms: number;
  path: string;
  method: string;
  stream: boolean;
  custom_id: string | null;
  user_id: string | null;
  error_code: string | null;
  tags: string[];
  request: unknown;
  response: unknown;
}

/** The one event recorded with this x-custom-event-id (polled: the worker persists it asynchronously). */
export function eventFor(stack: TestStack, customId: string, timeoutMs = 10_000): Promise<StoredEvent> {
  return eventually(async () => {
    const response = await stack.admin<StoredEvent[]>('GET', `/api/events?customId=${encodeURIComponent(customId)}`);
    return response.body.length > 0 ? response.body[0] : undefined;
  }, timeoutMs, `event ${customId}`);
}

/** Stores a provider setting through the admin API and returns its id. */
export async function createSetting(stack: TestStack, provider: string, setting: Record<string, string>, extra: { allowedModels?: string[]; name?: string } = {}): Promise<string> {
  const response = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider, setting, ...extra });
  if (response.status !== 200) throw new Error(`provider setting ${provider}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id;
}

/**
 * Issues a key over those settings and waits until the proxy knows it (the admin write reaches the
 * proxy's snapshot over Redis). Returns the key id.
 */
export async function createKey(stack: TestStack, key: string, settingIds: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const response = await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', {
    name: key,
    key,
    settingIds,
    tags: ['providers-e2e'],
    shouldLogRequest: true,
    shouldLogResponse: true,
    ...extra,
  });
  if (response.status !== 200) throw new Error(`key ${key}: ${response.status} ${JSON.stringify(response.body)}`);
  // An empty chat body is a 400 for a known key and a 401 for an unknown one; nothing goes upstream.
  await eventually(async () => {
    const probe = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{}',
    });
    return probe.status === 401 ? undefined : true;
  }, 5_000, `key ${key} visible to the proxy`);
  return response.body.keyId;
}

/** Parses an SSE body into its `data:` payloads (`[DONE]` kept as the string). */
export function sseDataOf(text: string): Array<Record<string, unknown> | '[DONE]'> {
  return text
    .split(/\r?\n\r?\n/)
    .filter((frame) => frame.trim() !== '')
    .flatMap((frame) => {
      const data = frame
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
        .join('\n');
      if (data === '') return [];
      return [data === '[DONE]' ? ('[DONE]' as const) : (JSON.parse(data) as Record<string, unknown>)];
    });
}
