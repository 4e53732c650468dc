import { request } from 'node:http';
import { FakeOpenAI } from './support/fake-openai';
import { createKey, createSetting } from './support/provider-e2e';
import { TestStack, startTestStack } from './support/test-stack';

/**
 * Native passthrough rules: requests stay below the provider's base URL, routing prefers the
 * settings that allow the model, and operations the gateway cannot price are recorded as such
 * and refused to budgeted keys.
 */
describe('passthrough rules (e2e)', () => {
  let stack: TestStack;
  let upstream: FakeOpenAI;
  const KEY = 'tg-path-safety-key';
  const BUDGETED_KEY = 'tg-path-safety-budgeted';

  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    stack = await startTestStack();
    const restricted = await createSetting(stack, 'openai', { apiKey: 'sk-upstream-secret', url: upstream.baseUrl }, { allowedModels: ['gpt-4o-mini'] });
    const open = await createSetting(stack, 'openai', { apiKey: 'sk-upstream-secret', url: upstream.baseUrl });
    await createKey(stack, KEY, [restricted, open]);
    await createKey(stack, BUDGETED_KEY, [open], { costLimitInUsd: 1 });
  });

  afterAll(async () => {
    await stack?.close();
    await upstream?.stop();
  });

  it.each(['/api/providers/openai/v1/%2e%2e/%2e%2e/other-tenant/v1/files', '/api/providers/openai/v1/files/%2E%2E', '/api/providers/openai/v1/files/a%2Fb'])(
    'refuses %s without calling the upstream',
    async (path) => {
      const before = upstream.requests.length;
      // node:http sends the path as written (fetch would resolve the dot segments itself).
      const response = await rawGet(stack.proxyUrl, path, { authorization: `Bearer ${KEY}` });
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ error: { type: 'invalid_request_error' } });
      expect(upstream.requests.length).toBe(before);
    },
  );

  it('refuses an operation it cannot price (images) to a budgeted key, before any upstream call', async () => {
    const before = upstream.requests.length;
    const response = await fetch(`${stack.proxyUrl}/api/providers/openai/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BUDGETED_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-image-1', prompt: 'a gate' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'model_not_priced', type: 'invalid_request_error' } });
    expect(upstream.requests.length).toBe(before);
    // Free operations stay open to the same key.
    const models = await fetch(`${stack.proxyUrl}/api/providers/openai/v1/models`, { headers: { authorization: `Bearer ${BUDGETED_KEY}` } });
    expect(models.status).toBe(200);
  });

  it('sends a model outside one setting\'s allowedModels to the key\'s setting that accepts any model', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      expect(response.status).toBe(200);
    }
  });
});

function rawGet(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const outgoing = request({ hostname, port: Number(port), path, headers, method: 'GET' }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
