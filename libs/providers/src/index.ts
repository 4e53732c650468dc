export { UpstreamClient, UpstreamRequest, UpstreamResponse, UpstreamTimeouts, toUpstreamError } from './http/upstream-client';
export { SseSplitter, sseData } from './sse/sse-splitter';
export { PreparedChatBody, toOpenAIChatBody, toOpenAIHeaders, toOpenAIUrl } from './openai/openai-request';
export { OpenAIStreamObserver } from './openai/openai-stream';
export { TokenUsage, fromOpenAIUsage } from './usage';
export {
  AdapterContext,
  ChatCall,
  ChatStreamTranslator,
  ClientHeaders,
  ProviderAdapter,
  ProviderDefaults,
  ProviderError,
  TranslatedResponse,
  UpstreamCall,
} from './provider-adapter';
