import { ResolvedProviderSetting } from '@tollgate/provider-settings';
import { ListedModel, modelsOf } from '../model-list';
import { ProviderDefaults } from '../provider-adapter';

export type GeminiMethod = 'generateContent' | 'streamGenerateContent' | 'batchEmbedContents';

/**
 * The resource name Gemini expects: "models/<id>", or a tuned model's "tunedModels/<id>" as
 * given. Each segment is percent-encoded because the id comes from the client and must not
 * be able to add path segments or a query string to the upstream URL.
 */
export function toGeminiModelName(model: string): string {
  const named = /^(models|tunedModels)\/(.+)$/.exec(model);
  const [collection, id] = named ? [named[1], named[2]] : ['models', model];
  return `${collection}/${encodeURIComponent(id)}`;
}

/**
 * `{base}/models/{model}:{method}`; streams ask for `alt=sse` (without it Gemini streams one
 * big JSON array). The API key never goes in the query string: it is a header, see below.
 */
export function toGeminiUrl(setting: ResolvedProviderSetting, defaults: ProviderDefaults, model: string, method: GeminiMethod): string {
  const base = (setting.options.url ?? defaults.geminiBaseUrl).replace(/\/+$/, '');
  const url = `${base}/${toGeminiModelName(model)}:${method}`;
  return method === 'streamGenerateContent' ? `${url}?alt=sse` : url;
}

/**
 * Only the stored credential and content headers: nothing from the client is forwarded
 * (its gateway key, cookies and OpenAI-specific headers mean nothing to Google).
 */
export function toGeminiHeaders(setting: ResolvedProviderSetting): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    // Bodies are inspected for usage, so ask for them uncompressed.
    'accept-encoding': 'identity',
  };
  if (setting.credentials.apiKey) headers['x-goog-api-key'] = setting.credentials.apiKey;
  return headers;
}

const ROUTABLE_METHODS = ['generateContent', 'streamGenerateContent', 'embedContent', 'batchEmbedContents'];

/** A models.list answer → the models the gateway can call, "models/" removed (the list gives no creation time). */
export function fromGeminiModelList(raw: Buffer): ListedModel[] {
  return modelsOf(raw, 'models', (model) => {
    const methods = model.supportedGenerationMethods;
    const routable = !Array.isArray(methods) || methods.some((method) => ROUTABLE_METHODS.includes(method as string));
    return routable && typeof model.name === 'string' ? { id: model.name.replace(/^models\//, ''), created: null } : null;
  });
}
