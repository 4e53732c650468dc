import { GatewayError, GatewayErrorCode, isRecord } from '@tollgate/common';

/**
 * OpenAI's deprecated `functions` and `function_call` (before tools): OpenAI answers them with a
 * `function_call` message and finish_reason "function_call", which the translations to other
 * providers do not write. Dropped, the model answered in text where the client waited for a
 * call: refused instead, naming the field and its replacement. Empty, or `function_call`
 * "none" / "auto" alone, they ask for nothing and pass.
 */
export function refuseLegacyFunctions(body: Record<string, unknown>, provider: string): void {
  if (Array.isArray(body.functions) && body.functions.length > 0) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, `functions (deprecated by OpenAI) is not translated for ${provider} models: send them as tools`, 'functions');
  }
  if (isRecord(body.function_call)) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, `function_call (deprecated by OpenAI) is not translated for ${provider} models: use tool_choice`, 'function_call');
  }
}
