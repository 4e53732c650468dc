import { GatewayError, GatewayErrorCode } from '@tollgate/common';

/**
 * A stream the upstream ended cleanly before its terminal event (Anthropic's message_stop, a
 * Gemini finishReason). Thrown from a translator's end(): the relay sends the client an error
 * frame, and the event records the failure, rather than a [DONE] that would pass a partial
 * answer off as whole.
 */
export function incompleteStream(): GatewayError {
  return new GatewayError(GatewayErrorCode.UpstreamUnreachable, 'the upstream provider ended the stream before the answer was complete');
}
