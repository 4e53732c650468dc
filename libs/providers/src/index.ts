export { UpstreamClient, UpstreamRequest, UpstreamResponse, UpstreamTimeouts, toUpstreamError } from './http/upstream-client';
export { UpstreamAbort } from './http/upstream-abort';
export { AnsweredOperation, errorAnswerStatus } from './http/error-answer';
export { isRetryable, retriedByStatus, shouldRetryHeader, upstreamShouldRetry } from './http/retry-advice';
export { redactSecrets, redactText, secretForms } from './http/redact-secrets';
export { OutboundRefusedError, SsrfGuard, UpstreamAllowList, configureOutboundAllowList, parseIpAddress, processOutboundGuard, specialRangeOf } from './http/ssrf-guard';
export { SseSplitter, sseData } from './sse/sse-splitter';
export { PreparedChatBody, toOpenAIChatBody } from './openai/openai-request';
export { OpenAIStreamObserver } from './openai/openai-stream';
export { TokenUsage, fromOpenAIUsage } from './usage';
export { ListedModel } from './model-list';
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
export { AnthropicAdapter, AnthropicNativeStreamObserver, parseAnthropicError, readAnthropicResponse, toAnthropicErrorBody, toAnthropicHeaders, toAnthropicUrl } from './anthropic';
export { AzureOpenAIAdapter } from './azure/azure.adapter';
export { DeepinfraAdapter } from './deepinfra/deepinfra.adapter';
export { GeminiAdapter } from './gemini';
export { OpenAIAdapter } from './openai/openai.adapter';
export { OpenAICompatibleAdapter, OpenAIStreamPassthrough, readOpenAIAnswer, readOpenAIResponse } from './openai-compatible/openai-compatible.adapter';
export { toOpenAIProviderError } from './openai-compatible/openai-errors';
export { PROVIDER_ADAPTERS, getProviderAdapter } from './registry';
export { VllmAdapter } from './vllm/vllm.adapter';
