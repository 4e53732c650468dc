export { AnthropicAdapter } from './anthropic.adapter';
export { toAnthropicHeaders, toAnthropicUrl } from './anthropic-api';
export { fromAnthropicErrorType, parseAnthropicError, toAnthropicErrorBody, toProviderError as toAnthropicProviderError } from './anthropic-errors';
export { toAnthropicRequest } from './anthropic-request';
export { fromAnthropicResponse } from './anthropic-response';
export { AnthropicStreamTranslator } from './anthropic-stream';
export type {
  AnthropicErrorBody,
  AnthropicErrorType,
  AnthropicMessageResponse,
  AnthropicMessagesRequest,
  AnthropicStreamEvent,
} from './anthropic.types';
export { AnthropicNativeStreamObserver, readAnthropicResponse } from './anthropic-native';
