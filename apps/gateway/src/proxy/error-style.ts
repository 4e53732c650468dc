import { GATEWAY_ERROR_SPECS, GatewayError, toOpenAIErrorBody } from '@tollgate/common';
import { toAnthropicErrorBody } from '@tollgate/providers';

/**
 * Which error body a proxy path answers with: OpenAI's everywhere, except the native Anthropic
 * paths, whose clients (the Anthropic SDK) expect Anthropic's own `{"type":"error",...}`.
 */
export type ErrorStyle = 'openai' | 'anthropic';

const ANTHROPIC_PREFIX = '/api/providers/anthropic/';

export function errorStyleOf(url: string): ErrorStyle {
  return url.startsWith(ANTHROPIC_PREFIX) ? 'anthropic' : 'openai';
}

export function toProxyErrorBody(error: GatewayError, style: ErrorStyle): unknown {
  if (style === 'anthropic') {
    return toAnthropicErrorBody(GATEWAY_ERROR_SPECS[error.code].status, error.message);
  }
  return toOpenAIErrorBody(error);
}
