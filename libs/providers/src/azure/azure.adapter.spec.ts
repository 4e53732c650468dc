import { ProviderId, ResolvedProviderSetting } from '@tollgate/provider-settings';
import { AdapterContext, ProviderDefaults } from '../provider-adapter';
import { AzureOpenAIAdapter } from './azure.adapter';

const setting: ResolvedProviderSetting = {
  id: 's1',
  name: '',
  provider: ProviderId.Azure,
  options: { resourceName: 'contoso' },
  credentials: { apiKey: 'azure-secret' },
  allowedModels: [],
  createdAt: new Date(0),
  updatedAt: new Date(0),
};
const defaults = { azureApiVersion: '2024-10-21' } as ProviderDefaults;
const context = (options: ResolvedProviderSetting['options'] = setting.options): AdapterContext => ({
  setting: { ...setting, options },
  defaults,
  clientHeaders: { authorization: 'Bearer tg-client-key', 'api-key': 'tg-client-key', 'user-agent': 'AzureOpenAI/JS' },
});

describe('AzureOpenAIAdapter', () => {
  const adapter = new AzureOpenAIAdapter();

  it('refuses deployment names that would walk the URL path', () => {
    for (const deployment of ['..', '.']) {
      expect(() => adapter.toChatRequest(context(), { body: { model: `azure/${deployment}`, messages: [] }, model: deployment, stream: false })).toThrow(/not an Azure deployment/);
    }
  });

  it('sends each operation to the deployment URL with the api-version, the stored key as api-key', () => {
    const chat = adapter.toChatRequest(context(), { body: { model: 'azure/prod', messages: [] }, model: 'prod', stream: false });
    expect(chat.url).toBe('https://contoso.openai.azure.com/openai/deployments/prod/chat/completions?api-version=2024-10-21');
    expect(chat.headers).toEqual({ 'user-agent': 'AzureOpenAI/JS', 'content-type': 'application/json', 'accept-encoding': 'identity', 'api-key': 'azure-secret' });
    expect(adapter.toEmbeddingsRequest(context(), { model: 'emb', input: 'a' }, 'emb').url).toBe('https://contoso.openai.azure.com/openai/deployments/emb/embeddings?api-version=2024-10-21');
    const legacy = adapter.toCompletionsRequest(context(), { model: 'azure/instruct', prompt: 'Hi', stream: true }, 'instruct');
    expect(legacy.url).toBe('https://contoso.openai.azure.com/openai/deployments/instruct/completions?api-version=2024-10-21');
    expect(JSON.parse(legacy.body!)).toEqual({ model: 'instruct', prompt: 'Hi', stream: true, stream_options: { include_usage: true } });
  });

  it('takes a full url (with or without /openai) and the setting\'s api-version; the client\'s api-version wins on native paths', () => {
    const custom = context({ url: 'https://gw.example.com/azure/openai/', apiVersion: '2025-01-01-preview' });
    expect(adapter.toChatRequest(custom, { body: { messages: [] }, model: 'd/1', stream: false }).url).toBe(
      'https://gw.example.com/azure/openai/deployments/d%2F1/chat/completions?api-version=2025-01-01-preview',
    );
    expect(adapter.passthroughUrl(custom, '/openai/deployments/d/chat/completions', '?api-version=2024-06-01')).toBe(
      'https://gw.example.com/azure/openai/deployments/d/chat/completions?api-version=2024-06-01',
    );
  });

  it('lists no models: deployments are not listable with the API key', () => {
    expect(adapter.toModelsRequest()).toBeNull();
  });
});
