import { ProviderId } from '@tollgate/provider-settings';
import { AnthropicAdapter } from './anthropic';
import { AzureOpenAIAdapter } from './azure/azure.adapter';
import { DeepinfraAdapter } from './deepinfra/deepinfra.adapter';
import { GeminiAdapter } from './gemini';
import { OpenAIAdapter } from './openai/openai.adapter';
import { ProviderAdapter } from './provider-adapter';
import { VllmAdapter } from './vllm/vllm.adapter';

/** The one place a provider is registered. Custom providers are configured, not coded. */
export const PROVIDER_ADAPTERS: ProviderAdapter[] = [
  new OpenAIAdapter(),
  new AzureOpenAIAdapter(),
  new AnthropicAdapter(),
  new GeminiAdapter(),
  new VllmAdapter(),
  new DeepinfraAdapter(),
];

const BY_ID = new Map(PROVIDER_ADAPTERS.map((adapter) => [adapter.id, adapter]));

export function getProviderAdapter(id: ProviderId): ProviderAdapter | null {
  return BY_ID.get(id) ?? null;
}
