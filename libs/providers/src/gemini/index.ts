export { GeminiAdapter } from './gemini.adapter';
export { toGeminiRequest } from './gemini-request';
export { fromGeminiResponse } from './gemini-response';
export { GeminiStreamTranslator } from './gemini-stream';
export { fromGeminiEmbeddingsResponse, toGeminiEmbeddingsRequest } from './gemini-embeddings';
export { fromGoogleError, toGeminiProviderError } from './gemini-errors';
export { toGeminiHeaders, toGeminiModelName, toGeminiUrl } from './gemini-url';
export type { GeminiGenerateContentRequest, GeminiGenerateContentResponse } from './gemini.types';
