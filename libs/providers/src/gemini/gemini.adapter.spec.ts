import { ProviderId, ResolvedProviderSetting } from '@tollgate/provider-settings';
import { AdapterContext, ProviderDefaults } from '../provider-adapter';
import { GeminiAdapter } from './gemini.adapter';

const KEY = 'AIzaSy-stored-secret';
const setting: ResolvedProviderSetting = {
  id: 's1',
  name: '',
  provider: ProviderId.Gemini,
  options: {},
  credentials: { apiKey: KEY },
  allowedModels: [],
  createdAt: new Date(0),
  updatedAt: new Date(0),
};
const defaults: ProviderDefaults = {
  openaiBaseUrl: 'https://api.openai.com/v1',
  deepinfraBaseUrl: 'https://api.deepinfra.com/v1/openai',
  anthropicBaseUrl: 'https://api.anthropic.com',
  geminiBaseUrl: 'https://generativelanguage.googleapis.com/v1beta',
  anthropicDefaultMaxTokens: 4096,
  anthropicVersion: '2023-06-01',
  azureApiVersion: '2024-10-21',
};
const context = (overrides: Partial<ResolvedProviderSetting> = {}): AdapterContext => ({
  setting: { ...setting, ...overrides },
  defaults,
  clientHeaders: { authorization: 'Bearer tg-client-key', cookie: 'a=b', 'x-goog-api-key': 'client-supplied' },
});
const body = { model: 'gemini/gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] };

describe('GeminiAdapter', () => {
  const adapter = new GeminiAdapter();

  it('posts generateContent with the key in x-goog-api-key only, never in the URL', () => {
    const upstream = adapter.toChatRequest(context(), { body, model: 'gemini-2.5-flash', stream: false });
    expect(upstream).toEqual({
      url: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'identity', 'x-goog-api-key': KEY },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }),
    });
  });

  it('streams with alt=sse from the setting url, and keeps every URL free of the key', () => {
    const custom = context({ options: { url: 'http://127.0.0.1:9000/v1beta/' } });
    const stream = adapter.toChatRequest(custom, { body, model: 'gemini-2.5-flash', stream: true });
    expect(stream.url).toBe('http://127.0.0.1:9000/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    const embeddings = adapter.toEmbeddingsRequest(custom, { input: 'x' }, 'gemini-embedding-001');
    expect(embeddings.url).toBe('http://127.0.0.1:9000/v1beta/models/gemini-embedding-001:batchEmbedContents');
    for (const url of [stream.url, embeddings.url]) {
      expect(url).not.toContain(KEY);
      expect(new URL(url).searchParams.has('key')).toBe(false);
    }
    expect(stream.headers['x-goog-api-key']).toBe(KEY);
  });

  it('encodes the client-chosen model so it cannot change the path or add a query string', () => {
    const upstream = adapter.toChatRequest(context(), { body, model: '../files?key=x', stream: false });
    expect(upstream.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/..%2Ffiles%3Fkey%3Dx:generateContent');
    expect(new URL(upstream.url).search).toBe('');
    expect(adapter.toChatRequest(context(), { body, model: 'tunedModels/my-tune', stream: false }).url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/tunedModels/my-tune:generateContent',
    );
  });

  it('names the request model in embeddings answers when the caller passes it', () => {
    const raw = Buffer.from(JSON.stringify({ embeddings: [{ values: [1] }] }));
    expect(adapter.fromEmbeddingsResponse(raw, { input: 'x' }, 'gemini-embedding-001').body).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [1] }],
      model: 'gemini-embedding-001',
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
  });
});

describe('GeminiAdapter model list', () => {
  const adapter = new GeminiAdapter();

  it('GETs models with the key in the header, and keeps the models that generate or embed', () => {
    expect(adapter.toModelsRequest(context())).toEqual({
      url: 'https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000',
      method: 'GET',
      headers: { 'accept-encoding': 'identity', 'x-goog-api-key': KEY },
    });
    const raw = Buffer.from(
      JSON.stringify({
        models: [
          { name: 'models/gemini-2.5-flash', supportedGenerationMethods: ['generateContent', 'countTokens'] },
          { name: 'models/gemini-embedding-001', supportedGenerationMethods: ['embedContent'] },
          { name: 'models/aqa', supportedGenerationMethods: ['generateAnswer'] },
        ],
      }),
    );
    expect(adapter.fromModelsResponse(raw)).toEqual([
      { id: 'gemini-2.5-flash', created: null },
      { id: 'gemini-embedding-001', created: null },
    ]);
    expect(adapter.fromModelsResponse(Buffer.from('<html>'))).toEqual([]);
  });
});
