/** Every provider Tollgate can hold credentials for. Later providers need no migration. */
export enum ProviderId {
  OpenAI = 'openai',
  Azure = 'azure',
  Anthropic = 'anthropic',
  Gemini = 'gemini',
  Vllm = 'vllm',
  Deepinfra = 'deepinfra',
  Custom = 'custom',
}

export const PROVIDER_IDS = Object.values(ProviderId);
