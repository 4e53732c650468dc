import { RequestEventData } from '@tollgate/queue';
import { estimateTokens } from '@tollgate/reporting';

/**
 * An event as a log line may carry it, to be queued again by hand (a record-request-event job):
 * without the bodies a key logs, nor the prompt and answer text kept for an estimate, which
 * give way to their token counts, so the replayed event is billed as the original would be.
 * Recording is idempotent on the id: replaying one that did get through records nothing twice.
 */
export function toReplayableEvent(event: RequestEventData): RequestEventData {
  const input = event.estimationInput;
  return {
    ...event,
    request: null,
    response: null,
    estimationInput:
      input === null
        ? null
        : {
            prompt: '',
            promptExtraTokens: estimateTokens(input.prompt) + (input.promptExtraTokens ?? 0),
            completion: '',
            completionExtraTokens: estimateTokens(input.completion) + (input.completionExtraTokens ?? 0),
          },
  };
}
