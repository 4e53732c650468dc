import { chatFramingTokensOf, estimateTokens } from '@tollgate/reporting';
import OpenAI, { AzureOpenAI } from 'openai';
import { FakeOpenAI } from './support/fake-openai';
import { createKey, createSetting, eventFor, sseDataOf } from './support/provider-e2e';
import { TestStack, eventually, startTestStack } from './support/test-stack';

/**
 * The providers that already speak OpenAI's API (Azure OpenAI, vLLM, Deepinfra, and OpenAI's
 * legacy /v1/completions): unified `provider/model` names and their native paths, streamed and
 * not; what each upstream received (URL, api-version, auth header) and the event.
 */

const CLIENT_KEY = 'tg-compatible-e2e-key';
const AZURE_KEY = 'azure-upstream-secret';
const DEEPINFRA_KEY = 'deepinfra-upstream-secret';
const LLAMA = 'meta-llama/Llama-3.1-8B-Instruct';

/** List prices, USD per token. */
const GPT_4O_MINI = { input: 0.15 / 1e6, output: 0.6 / 1e6 };
const GPT_35_TURBO_INSTRUCT = { input: 1.5 / 1e6, output: 2 / 1e6 };

describe('OpenAI-compatible providers (e2e): Azure, vLLM, Deepinfra, legacy completions', () => {
  let stack: TestStack;
  let openaiUpstream: FakeOpenAI;
  let azure: FakeOpenAI;
  let vllm: FakeOpenAI;
  let deepinfra: FakeOpenAI;
  let vllmSettingId: string;

  beforeAll(async () => {
    openaiUpstream = new FakeOpenAI();
    azure = new FakeOpenAI({ apiKey: AZURE_KEY });
    vllm = new FakeOpenAI({ apiKey: null, echoModel: true, models: [LLAMA] });
    deepinfra = new FakeOpenAI({ apiKey: DEEPINFRA_KEY, echoModel: true });
    await Promise.all([openaiUpstream.start(), azure.start(), vllm.start(), deepinfra.start()]);
    stack = await startTestStack({ AZURE_API_VERSION: '2024-10-21' });
    const settings = [
      await createSetting(stack, 'openai', { apiKey: 'sk-upstream-secret', url: openaiUpstream.baseUrl }),
      await createSetting(stack, 'azure', { apiKey: AZURE_KEY, url: azure.rootUrl, apiVersion: '2024-06-01' }),
      // vLLM without --api-key: the setting has only a url (here without the /v1 suffix: the adapter adds it).
      await createSetting(stack, 'vllm', { url: vllm.rootUrl }),
      await createSetting(stack, 'deepinfra', { apiKey: DEEPINFRA_KEY, url: deepinfra.baseUrl }),
    ];
    vllmSettingId = settings[2];
    await createKey(stack, CLIENT_KEY, settings);
  });

  afterAll(async () => {
    await stack?.close();
    await Promise.all([openaiUpstream, azure, vllm, deepinfra].map((fake) => fake?.stop()));
  });

  const sdk = (baseURL = `${stack.proxyUrl}/v1`) => new OpenAI({ apiKey: CLIENT_KEY, baseURL, maxRetries: 0 });
  const withId = (customId: string) => ({ headers: { 'x-custom-event-id': customId } });
  const post = (path: string, body: unknown, customId?: string) =>
    fetch(`${stack.proxyUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', ...(customId ? { 'x-custom-event-id': customId } : {}) },
      body: JSON.stringify(body),
    });

  describe('Azure OpenAI', () => {
    it('unified azure/<deployment>: deployment URL, the setting\'s api-version, api-key header; priced as the underlying model', async () => {
      const completion = await sdk().chat.completions.create({ model: 'azure/prod-gpt4o', messages: [{ role: 'user', content: 'Hi' }] }, withId('azure-unified'));
      expect(completion.choices[0].message.content).toBe('Hello there, friend!');
      const received = azure.lastRequest();
      expect(received.path).toBe('/openai/deployments/prod-gpt4o/chat/completions');
      expect(new URLSearchParams(received.query).get('api-version')).toBe('2024-06-01');
      expect(received.headers['api-key']).toBe(AZURE_KEY);
      expect(received.headers.authorization).toBeUndefined();
      expect(JSON.stringify(received.headers)).not.toContain(CLIENT_KEY);
      const event = await eventFor(stack, 'azure-unified');
      expect(event).toMatchObject({ provider: 'azure', model: 'gpt-4o-mini-2024-07-18', status: 200, prompt_token_count: 12, completion_token_count: 5, price_known: true });
      expect(event.cost_in_usd).toBeCloseTo(12 * GPT_4O_MINI.input + 5 * GPT_4O_MINI.output, 12);
    });

    it('unified streaming on an api-version without stream_options (2024-06-01): sent as is, the stream counted', async () => {
      const stream = await sdk().chat.completions.create({ model: 'azure/prod-gpt4o', messages: [{ role: 'user', content: 'Hi' }], stream: true }, withId('azure-unified-stream'));
      const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello world');
      expect(azure.lastRequest().body).toEqual({ model: 'prod-gpt4o', messages: [{ role: 'user', content: 'Hi' }], stream: true });
      expect(await eventFor(stack, 'azure-unified-stream')).toMatchObject({
        provider: 'azure',
        stream: true,
        // The text and the chat framing OpenAI counts around it.
        prompt_token_count: estimateTokens('Hi') + chatFramingTokensOf({ messages: [{ role: 'user', content: 'Hi' }] }),
        completion_token_count: estimateTokens('Hello world'),
        token_count_estimated: true,
        price_known: true,
      });
    });

    it('a stream without usage is estimated from everything the model read: system prompt, tool definitions and images too', async () => {
      const tools: OpenAI.Chat.ChatCompletionTool[] = [
        { type: 'function', function: { name: 'get_weather', description: 'The current weather in a city, in Celsius.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
      ];
      const stream = await sdk().chat.completions.create(
        {
          model: 'azure/prod-gpt4o',
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] },
          ],
          tools,
          stream: true,
        },
        withId('azure-estimate-tools'),
      );
      for await (const chunk of stream) void chunk;
      const event = await eventFor(stack, 'azure-estimate-tools');
      expect(event).toMatchObject({ provider: 'azure', token_count_estimated: true, completion_token_count: estimateTokens('Hello world') });
      // The messages' text alone is a handful of tokens; the image and the tool definitions are counted too.
      expect(event.prompt_token_count).toBeGreaterThanOrEqual(estimateTokens('Be brief.\nHi') + 4_000 + estimateTokens(JSON.stringify(tools)));
    });

    it('streaming on an api-version with stream_options (2024-10-21): asks Azure for usage, strips it for the client, prices the stream', async () => {
      const response = await post('/api/providers/azure/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21', { messages: [{ role: 'user', content: 'Hi' }], stream: true }, 'azure-usage-stream');
      expect(response.status).toBe(200);
      const chunks = sseDataOf(await response.text()).filter((e): e is Record<string, unknown> => e !== '[DONE]');
      expect(chunks.some((c) => c.usage)).toBe(false);
      expect(azure.lastRequest().body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
      expect(await eventFor(stack, 'azure-usage-stream')).toMatchObject({ provider: 'azure', stream: true, prompt_token_count: 11, completion_token_count: 4, token_count_estimated: false });
    });

    it('a setting\'s apiVersion is checked when saved (one Azure does not know would fail every call), and shown', async () => {
      for (const apiVersion of ['', '2024-10', 'latest', '2024-10-21\r\nx: y']) {
        const refused = await stack.admin<{ detail: string }>('POST', '/api/provider-settings', { provider: 'azure', setting: { apiKey: AZURE_KEY, url: azure.rootUrl, apiVersion } });
        expect([apiVersion, refused.status, refused.body.detail]).toEqual([apiVersion, 400, expect.stringContaining('setting.apiVersion')]);
      }
      const saved = await stack.admin<{ id: string; apiVersion?: string }>('POST', '/api/provider-settings', { provider: 'azure', setting: { apiKey: AZURE_KEY, url: azure.rootUrl, apiVersion: '2025-04-01-preview' } });
      expect([saved.status, saved.body.apiVersion]).toEqual([200, '2025-04-01-preview']);
      const listed = await stack.admin<Array<{ apiVersion?: string }>>('GET', `/api/provider-settings?ids=${saved.body.id}`);
      expect(listed.body.map((setting) => setting.apiVersion)).toEqual(['2025-04-01-preview']);
    });

    it('native deployment path: the client\'s api-version passes through, the key becomes api-key', async () => {
      const native = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${stack.proxyUrl}/api/providers/azure/openai/deployments/prod-gpt4o`, defaultQuery: { 'api-version': '2025-01-01-preview' }, maxRetries: 0 });
      const completion = await native.chat.completions.create({ model: 'ignored-by-azure', messages: [{ role: 'user', content: 'Hi' }] }, withId('azure-native'));
      expect(completion.choices[0].message.content).toBe('Hello there, friend!');
      const received = azure.lastRequest();
      expect(received.path).toBe('/openai/deployments/prod-gpt4o/chat/completions');
      expect(new URLSearchParams(received.query).get('api-version')).toBe('2025-01-01-preview');
      expect(received.headers['api-key']).toBe(AZURE_KEY);
      const event = await eventFor(stack, 'azure-native');
      expect(event).toMatchObject({ provider: 'azure', path: '/api/providers/azure/openai/deployments/prod-gpt4o/chat/completions', status: 200, prompt_token_count: 12 });
      expect(event.cost_in_usd).toBeCloseTo(12 * GPT_4O_MINI.input + 5 * GPT_4O_MINI.output, 12);
    });

    it('native deployment path without api-version gets the setting\'s; streaming works there too', async () => {
      const response = await post('/api/providers/azure/openai/deployments/prod-gpt4o/chat/completions', { messages: [{ role: 'user', content: 'Hi' }], stream: true }, 'azure-native-stream');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const events = sseDataOf(await response.text());
      expect(events[events.length - 1]).toBe('[DONE]');
      const chunks = events.filter((e): e is Record<string, unknown> => e !== '[DONE]');
      expect(chunks.map((c) => (c.choices as Array<{ delta: { content?: string } }>)[0]?.delta?.content ?? '').join('')).toBe('Hello world');
      expect(chunks.some((c) => c.usage)).toBe(false);
      expect(new URLSearchParams(azure.lastRequest().query).get('api-version')).toBe('2024-06-01');
      expect(azure.lastRequest().body).not.toHaveProperty('stream_options');
      expect(await eventFor(stack, 'azure-native-stream')).toMatchObject({ provider: 'azure', stream: true, completion_token_count: estimateTokens('Hello world'), token_count_estimated: true });
    });

    it('embeddings, unified and native', async () => {
      const embeddings = await sdk().embeddings.create({ model: 'azure/embed-3-small', input: 'a' }, withId('azure-embeddings'));
      expect(embeddings.data).toHaveLength(1);
      expect(azure.lastRequest().path).toBe('/openai/deployments/embed-3-small/embeddings');
      expect(await eventFor(stack, 'azure-embeddings')).toMatchObject({ provider: 'azure', prompt_token_count: 8 });

      const native = await post('/api/providers/azure/openai/deployments/embed-3-small/embeddings?api-version=2024-10-21', { input: ['a', 'b'] });
      expect(native.status).toBe(200);
      expect(((await native.json()) as { data: unknown[] }).data).toHaveLength(2);
      expect(azure.lastRequest().query).toBe('api-version=2024-10-21');
    });

    it('the official AzureOpenAI client against /api/providers/azure: its api-key header is the gateway key, never forwarded', async () => {
      const client = new AzureOpenAI({ endpoint: `${stack.proxyUrl}/api/providers/azure`, apiKey: CLIENT_KEY, apiVersion: '2024-10-21', maxRetries: 0 });
      const completion = await client.chat.completions.create({ model: 'prod-gpt4o', messages: [{ role: 'user', content: 'Hi' }] }, withId('azure-client'));
      expect(completion.choices[0].message.content).toBe('Hello there, friend!');
      const received = azure.lastRequest();
      expect(received.path).toBe('/openai/deployments/prod-gpt4o/chat/completions');
      expect(received.query).toBe('api-version=2024-10-21');
      expect(received.headers['api-key']).toBe(AZURE_KEY);
      expect(JSON.stringify(received.headers)).not.toContain(CLIENT_KEY);
      expect(await eventFor(stack, 'azure-client')).toMatchObject({ provider: 'azure', status: 200, prompt_token_count: 12 });

      const stream = await client.chat.completions.create({ model: 'prod-gpt4o', messages: [{ role: 'user', content: 'Hi' }], stream: true });
      const pieces: string[] = [];
      for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta?.content ?? '');
      expect(pieces.join('')).toBe('Hello world');

      expect((await client.embeddings.create({ model: 'embed-3-small', input: 'a' })).data).toHaveLength(1);
      expect(azure.lastRequest().path).toBe('/openai/deployments/embed-3-small/embeddings');
      expect((await client.completions.create({ model: 'instruct-deploy', prompt: 'Say hello' })).choices[0].text).toBe(' Hello there!');
      expect(azure.lastRequest().path).toBe('/openai/deployments/instruct-deploy/completions');
    });

    it('unified legacy /v1/completions with azure/<deployment> goes to the deployment\'s completions URL', async () => {
      const completion = await sdk().completions.create({ model: 'azure/instruct-deploy', prompt: 'Say hello' }, withId('azure-legacy'));
      expect(completion.choices[0].text).toBe(' Hello there!');
      const received = azure.lastRequest();
      expect(received.path).toBe('/openai/deployments/instruct-deploy/completions');
      expect(new URLSearchParams(received.query).get('api-version')).toBe('2024-06-01');
      expect(received.headers['api-key']).toBe(AZURE_KEY);
      expect(await eventFor(stack, 'azure-legacy')).toMatchObject({ provider: 'azure', path: '/v1/completions', prompt_token_count: 5, completion_token_count: 3 });
    });

    it('Azure errors: 429 keeps retry-after; a refused api-key is a 502 upstream_auth_error', async () => {
      const limited = await sdk().chat.completions.create({ model: 'azure/fail-429', messages: [{ role: 'user', content: 'Hi' }] }).then(() => null, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
      expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
      expect(limited!.headers?.get('retry-after')).toBe('7');
      const badSetting = await createSetting(stack, 'azure', { apiKey: 'wrong-azure-key', url: azure.rootUrl });
      await createKey(stack, 'tg-compatible-bad-azure', [badSetting]);
      const refused = await new OpenAI({ apiKey: 'tg-compatible-bad-azure', baseURL: `${stack.proxyUrl}/v1`, maxRetries: 0 }).chat.completions
        .create({ model: 'azure/prod-gpt4o', messages: [{ role: 'user', content: 'Hi' }] })
        .then(() => null, (e: unknown) => e);
      expect(refused).toMatchObject({ status: 502, code: 'upstream_auth_error' });
    });
  });

  describe('vLLM', () => {
    it('unified vllm/<model> (a model id with a slash): the url from the setting, no credential', async () => {
      const completion = await sdk().chat.completions.create({ model: `vllm/${LLAMA}`, messages: [{ role: 'user', content: 'Hi' }] }, withId('vllm-unified'));
      expect(completion.model).toBe(LLAMA);
      const received = vllm.lastRequest();
      expect(received.path).toBe('/v1/chat/completions');
      expect(received.body).toMatchObject({ model: LLAMA });
      expect(received.headers.authorization).toBeUndefined();
      expect(JSON.stringify(received.headers)).not.toContain(CLIENT_KEY);
      // Self-hosted: no list price, so the event flags it rather than calling it free.
      expect(await eventFor(stack, 'vllm-unified')).toMatchObject({ provider: 'vllm', model: LLAMA, prompt_token_count: 12, completion_token_count: 5, status: 200, price_known: false, cost_in_usd: null });
    });

    it('unified streaming and embeddings', async () => {
      const stream = await sdk().chat.completions.create({ model: `vllm/${LLAMA}`, messages: [{ role: 'user', content: 'Hi' }], stream: true }, withId('vllm-stream'));
      const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello world');
      expect(await eventFor(stack, 'vllm-stream')).toMatchObject({ provider: 'vllm', stream: true, prompt_token_count: 11, completion_token_count: 4 });

      const embeddings = await sdk().embeddings.create({ model: 'vllm/BAAI/bge-m3', input: ['x', 'y', 'z'] }, withId('vllm-embeddings'));
      expect(embeddings.data).toHaveLength(3);
      expect(vllm.lastRequest()).toMatchObject({ path: '/v1/embeddings', body: { model: 'BAAI/bge-m3' } });
      expect(await eventFor(stack, 'vllm-embeddings')).toMatchObject({ provider: 'vllm', prompt_token_count: 24 });
    });

    it('native /api/providers/vllm/v1: chat/completions and completions (streamed, usage stripped unless asked)', async () => {
      const native = sdk(`${stack.proxyUrl}/api/providers/vllm/v1`);
      const chat = await native.chat.completions.create({ model: LLAMA, messages: [{ role: 'user', content: 'Hi' }] }, withId('vllm-native-chat'));
      expect(chat.choices[0].message.content).toBe('Hello there, friend!');
      expect(await eventFor(stack, 'vllm-native-chat')).toMatchObject({ provider: 'vllm', path: '/api/providers/vllm/v1/chat/completions' });

      const completion = await native.completions.create({ model: LLAMA, prompt: 'Say hello', max_tokens: 5 }, withId('vllm-native-completions'));
      expect(completion.choices[0].text).toBe(' Hello there!');
      expect(vllm.lastRequest()).toMatchObject({ path: '/v1/completions', body: { model: LLAMA, prompt: 'Say hello', max_tokens: 5 } });
      expect(await eventFor(stack, 'vllm-native-completions')).toMatchObject({ provider: 'vllm', prompt_token_count: 5, completion_token_count: 3, path: '/api/providers/vllm/v1/completions' });

      const stream = await native.completions.create({ model: LLAMA, prompt: 'Say hello', stream: true }, withId('vllm-native-completions-stream'));
      const texts: string[] = [];
      let sawUsage = false;
      for await (const chunk of stream) {
        texts.push(chunk.choices[0]?.text ?? '');
        sawUsage ||= Boolean(chunk.usage);
      }
      expect(texts.join('')).toBe(' Hello there!');
      expect(sawUsage).toBe(false);
      expect(vllm.lastRequest().body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
      expect(await eventFor(stack, 'vllm-native-completions-stream')).toMatchObject({ stream: true, prompt_token_count: 5, completion_token_count: 3, token_count_estimated: false });
    });

    it("native /api/providers/vllm/v1: the model list and embeddings, as vLLM's own client examples call them", async () => {
      const native = sdk(`${stack.proxyUrl}/api/providers/vllm/v1`);
      // vLLM's examples start with models.list() to learn the served model's name.
      const models = await native.models.list();
      expect(models.data.map((model) => model.id)).toEqual([LLAMA]);
      expect(vllm.lastRequest()).toMatchObject({ method: 'GET', path: '/v1/models' });
      expect(vllm.lastRequest().headers.authorization).toBeUndefined();

      const embeddings = await native.embeddings.create({ model: 'BAAI/bge-m3', input: ['x', 'y'] }, withId('vllm-native-embeddings'));
      expect(embeddings.data).toHaveLength(2);
      expect(vllm.lastRequest()).toMatchObject({ path: '/v1/embeddings', body: { model: 'BAAI/bge-m3' } });
      expect(await eventFor(stack, 'vllm-native-embeddings')).toMatchObject({ provider: 'vllm', path: '/api/providers/vllm/v1/embeddings', prompt_token_count: 16 });
    });
    it("a budget on the native paths reserves the default output when the body names only a limit those APIs do not read (as on /v1)", async () => {
      // $100 per million output tokens: BUDGET_DEFAULT_MAX_TOKENS (4,096) cost $0.41, 50 cost $0.005.
      const model = 'house-llama';
      expect((await stack.admin('PUT', '/api/model-prices', { provider: 'vllm', model, inputUsdPerMillionTokens: 1, outputUsdPerMillionTokens: 100 })).status).toBe(200);
      await createKey(stack, 'tg-vllm-native-budget', [vllmSettingId], { costLimitInUsd: 0.01 });
      const send = (path: string, extra: Record<string, unknown>) =>
        fetch(`${stack.proxyUrl}/api/providers/vllm/v1/${path}`, {
          method: 'POST',
          headers: { authorization: 'Bearer tg-vllm-native-budget', 'content-type': 'application/json' },
          body: JSON.stringify({ model, ...(path === 'completions' ? { prompt: 'Write a lot' } : { messages: [{ role: 'user', content: 'Write a lot' }] }), ...extra }),
        });
      // Once the price is known here, a request without a maximum is over the budget.
      await eventually(async () => ((await send('chat/completions', {})).status === 429 ? true : undefined), 5_000, 'the price override');
      const before = vllm.requests.length;
      // vLLM (like most OpenAI-compatible servers) ignores fields it does not know: these bound nothing.
      for (const path of ['chat/completions', 'completions']) {
        for (const foreign of [{ max_output_tokens: 1 }, { max_tokens_to_sample: 1 }, { generationConfig: { maxOutputTokens: 1 } }]) {
          const response = await send(path, foreign);
          expect({ path, foreign, status: response.status }).toEqual({ path, foreign, status: 429 });
        }
      }
      expect(vllm.requests.length).toBe(before);
      expect((await send('chat/completions', { max_tokens: 50 })).status).toBe(200);
    });
  });

  describe('Deepinfra', () => {
    it('unified deepinfra/<model> and embeddings: Bearer with the stored key', async () => {
      const completion = await sdk().chat.completions.create({ model: `deepinfra/${LLAMA}`, messages: [{ role: 'user', content: 'Hi' }] }, withId('deepinfra-unified'));
      expect(completion.choices[0].message.content).toBe('Hello there, friend!');
      const received = deepinfra.lastRequest();
      expect(received).toMatchObject({ path: '/v1/chat/completions', body: { model: LLAMA } });
      expect(received.headers.authorization).toBe(`Bearer ${DEEPINFRA_KEY}`);
      expect(await eventFor(stack, 'deepinfra-unified')).toMatchObject({ provider: 'deepinfra', model: LLAMA, prompt_token_count: 12, completion_token_count: 5 });

      const embeddings = await sdk().embeddings.create({ model: 'deepinfra/BAAI/bge-large-en-v1.5', input: 'hello' }, withId('deepinfra-embeddings'));
      expect(embeddings.data).toHaveLength(1);
      expect(deepinfra.lastRequest()).toMatchObject({ path: '/v1/embeddings', body: { model: 'BAAI/bge-large-en-v1.5' } });
      expect(await eventFor(stack, 'deepinfra-embeddings')).toMatchObject({ provider: 'deepinfra', prompt_token_count: 8 });
    });

    it('native /api/providers/deepinfra/v1: chat/completions (streamed), completions, embeddings', async () => {
      const native = sdk(`${stack.proxyUrl}/api/providers/deepinfra/v1`);
      const stream = await native.chat.completions.create({ model: LLAMA, messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } }, withId('deepinfra-native-stream'));
      const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks[chunks.length - 1].usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4 });
      expect(await eventFor(stack, 'deepinfra-native-stream')).toMatchObject({ provider: 'deepinfra', stream: true, path: '/api/providers/deepinfra/v1/chat/completions', prompt_token_count: 11 });

      const completion = await native.completions.create({ model: LLAMA, prompt: 'Say hello' }, withId('deepinfra-native-completions'));
      expect(completion.choices[0].text).toBe(' Hello there!');
      expect(deepinfra.lastRequest().path).toBe('/v1/completions');
      expect(await eventFor(stack, 'deepinfra-native-completions')).toMatchObject({ provider: 'deepinfra', prompt_token_count: 5, completion_token_count: 3 });

      const embeddings = await native.embeddings.create({ model: 'BAAI/bge-large-en-v1.5', input: ['a', 'b'] });
      expect(embeddings.data).toHaveLength(2);

      // The model list, with the stored key (Deepinfra's own is at /v1/openai/models).
      const models = await native.models.list();
      expect(models.data.map((model) => model.id)).toEqual(['gpt-4o-mini']);
      expect(deepinfra.lastRequest()).toMatchObject({ method: 'GET', path: '/v1/models' });
      expect(deepinfra.lastRequest().headers.authorization).toBe(`Bearer ${DEEPINFRA_KEY}`);
    });

    it('an unpriced model is flagged, never free', async () => {
      await sdk().chat.completions.create({ model: `deepinfra/${LLAMA}`, messages: [{ role: 'user', content: 'Hi' }] }, withId('deepinfra-unpriced'));
      expect(await eventFor(stack, 'deepinfra-unpriced')).toMatchObject({ price_known: false, cost_in_usd: null });
    });
  });

  describe('legacy /v1/completions', () => {
    it('OpenAI: relayed, priced; streamed with the usage chunk only when asked', async () => {
      const completion = await sdk().completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello', max_tokens: 5 }, withId('legacy-1'));
      expect(completion).toMatchObject({ id: 'cmpl-fake1', object: 'text_completion', choices: [{ text: ' Hello there!', finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 3 } });
      expect(openaiUpstream.lastRequest()).toMatchObject({ path: '/v1/completions', body: { model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello', max_tokens: 5 } });
      const event = await eventFor(stack, 'legacy-1');
      expect(event).toMatchObject({ provider: 'openai', model: 'gpt-3.5-turbo-instruct', path: '/v1/completions', prompt_token_count: 5, completion_token_count: 3, price_known: true });
      expect(event.cost_in_usd).toBeCloseTo(5 * GPT_35_TURBO_INSTRUCT.input + 3 * GPT_35_TURBO_INSTRUCT.output, 12);

      const stream = await sdk().completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello', stream: true }, withId('legacy-stream'));
      const chunks: OpenAI.Completions.Completion[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe(' Hello there!');
      expect(chunks.some((c) => c.usage)).toBe(false);
      expect(openaiUpstream.lastRequest().body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
      expect(await eventFor(stack, 'legacy-stream')).toMatchObject({ stream: true, prompt_token_count: 5, completion_token_count: 3, token_count_estimated: false });

      const withUsage = await sdk().completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello', stream: true, stream_options: { include_usage: true } });
      const usageChunks: OpenAI.Completions.Completion[] = [];
      for await (const chunk of withUsage) usageChunks.push(chunk);
      expect(usageChunks[usageChunks.length - 1]).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3 } });
    });

    it('vLLM through the unified legacy path', async () => {
      const completion = await sdk().completions.create({ model: `vllm/${LLAMA}`, prompt: 'Hi' }, withId('legacy-vllm'));
      expect(completion.model).toBe(LLAMA);
      expect(vllm.lastRequest()).toMatchObject({ path: '/v1/completions', body: { model: LLAMA } });
      expect(await eventFor(stack, 'legacy-vllm')).toMatchObject({ provider: 'vllm', prompt_token_count: 5 });
    });
  });

  it('/v1/models lists each provider\'s own models under names that route', async () => {
    const models = await sdk().models.list();
    const ids = models.data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o-mini', `vllm/${LLAMA}`]));
    const completion = await sdk().chat.completions.create({ model: `vllm/${LLAMA}`, messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.model).toBe(LLAMA);
  });
});
