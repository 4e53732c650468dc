import { ProviderId, ResolvedProviderSetting } from '@tollgate/provider-settings';
import { AdapterContext, ProviderDefaults } from '../provider-adapter';
import { OpenAIAdapter } from './openai.adapter';
import { readOpenAIResponse } from '../openai-compatible/openai-compatible.adapter';

const setting: ResolvedProviderSetting = {
  id: 's1',
  name: '',
  provider: ProviderId.OpenAI,
  options: {},
  credentials: { apiKey: 'sk-provider' },
  allowedModels: [],
  createdAt: new Date(0),
  updatedAt: new Date(0),
};
const defaults = { openaiBaseUrl: 'https://api.openai.com/v1' } as ProviderDefaults;
const context = (options: ResolvedProviderSetting['options'] = {}): AdapterContext => ({
  setting: { ...setting, options },
  defaults,
  clientHeaders: {
    authorization: 'Bearer tg-client-key',
    cookie: 'session=1',
    'openai-organization': 'org-x',
    connection: 'keep-alive',
    'content-type': 'application/json',
    'user-agent': 'OpenAI/JS 6',
  },
});

describe('OpenAIAdapter', () => {
  const adapter = new OpenAIAdapter();

  it('replaces the client credential and drops headers outside the allow-list', () => {
    const call = adapter.toChatRequest(context(), { body: { model: 'gpt-4o-mini', messages: [] }, model: 'gpt-4o-mini', stream: false });
    expect(call.headers).toEqual({
      authorization: 'Bearer sk-provider',
      'content-type': 'application/json',
      'user-agent': 'OpenAI/JS 6',
      'accept-encoding': 'identity',
    });
  });

  it('uses the setting url when present, the default otherwise, and renames a prefixed model', () => {
    expect(adapter.toChatRequest(context(), { body: { model: 'openai/gpt-4o', messages: [] }, model: 'gpt-4o', stream: false })).toMatchObject({
      url: 'https://api.openai.com/v1/chat/completions',
      body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
    });
    expect(adapter.toEmbeddingsRequest(context({ url: 'http://10.0.0.1:8000/v1/' }), { model: 'e', input: 'x' }, 'e').url).toBe('http://10.0.0.1:8000/v1/embeddings');
  });
});

describe('readOpenAIResponse without usage', () => {
  it('keeps the generated text and tool calls to count', () => {
    const raw = Buffer.from(
      JSON.stringify({
        object: 'chat.completion',
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] } }],
      }),
    );
    expect(readOpenAIResponse(raw)).toMatchObject({ usage: null, completionText: 'get_weather{"city":"Paris"}' });
  });
});
