import { ProviderId, ResolvedProviderSetting } from '@tollgate/provider-settings';
import { toOpenAIChatBody, toOpenAIHeaders, toOpenAIUrl } from './openai-request';

const setting: ResolvedProviderSetting = {
  id: 's1',
  name: '',
  provider: ProviderId.OpenAI,
  options: {},
  credentials: { apiKey: 'sk-provider' },
  allowedModels: [],
  updatedAt: new Date(0),
};

describe('OpenAI request translation', () => {
  it('replaces the client credential and drops headers outside the allow-list', () => {
    const headers = toOpenAIHeaders(setting, {
      authorization: 'Bearer tg-client-key',
      cookie: 'session=1',
      'openai-organization': 'org-x',
      connection: 'keep-alive',
      'content-type': 'application/json',
      'user-agent': 'OpenAI/JS 6',
    });
    expect(headers).toEqual({
      authorization: 'Bearer sk-provider',
      'content-type': 'application/json',
      'user-agent': 'OpenAI/JS 6',
      'accept-encoding': 'identity',
    });
  });

  it('uses the setting url when present, the default otherwise', () => {
    expect(toOpenAIUrl(setting, 'https://api.openai.com/v1', '/chat/completions')).toBe('https://api.openai.com/v1/chat/completions');
    expect(toOpenAIUrl({ ...setting, options: { url: 'http://10.0.0.1:8000/v1/' } }, 'x', 'models')).toBe('http://10.0.0.1:8000/v1/models');
  });

  it('asks for stream usage without losing other stream_options or fields', () => {
    const prepared = toOpenAIChatBody({ model: 'm', stream: true, stream_options: { foo: 1 }, logit_bias: { 1: 2 } });
    expect(prepared.clientWantsUsage).toBe(false);
    expect(prepared.body).toEqual({ model: 'm', stream: true, stream_options: { foo: 1, include_usage: true }, logit_bias: { 1: 2 } });
    expect(toOpenAIChatBody({ model: 'm', stream: true, stream_options: { include_usage: true } }).clientWantsUsage).toBe(true);
    const plain = { model: 'm', messages: [] };
    expect(toOpenAIChatBody(plain).body).toBe(plain);
  });
});
