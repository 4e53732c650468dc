import { OpenAIErrorBody } from '@tollgate/common';
import { CompiledRoute, textAt } from '@tollgate/custom-providers';
import { ChatStreamTranslator, sseData } from '@tollgate/providers';

/**
 * A custom provider's SSE stream, relayed verbatim while each event's data is read at the
 * route's stream_response_completion_location for token counting. The stream is over after the
 * event whose data is stream_end_word (the upstream is not read further), and is cut with an
 * error event when more than stream_max_empty_messages data-less events arrive in a row.
 */
export class CustomStreamTranslator implements ChatStreamTranslator {
  readonly usage = null;
  readonly model = null;
  errorCode: string | null = null;
  done = false;
  private readonly texts: string[] = [];
  private emptyInARow = 0;

  constructor(private readonly route: CompiledRoute) {}

  push(event: string): string {
    const data = sseData(event);
    if (data === null || data.trim() === '') {
      this.emptyInARow += 1;
      if (this.route.streamMaxEmptyMessages > 0 && this.emptyInARow > this.route.streamMaxEmptyMessages) return this.cut();
      return event;
    }
    this.emptyInARow = 0;
    const payload = data.trim();
    if (this.route.streamEndWord !== null && payload === this.route.streamEndWord) {
      this.done = true;
      return event;
    }
    this.texts.push(this.generatedText(payload));
    return event;
  }

  /**
   * The text an event's data carries, read at stream_response_completion_location. A route that
   * names none (it was not meant to stream, but the client asked its upstream to) is read at
   * response_completion_location; where that finds nothing, or the data is not JSON, the data
   * itself is counted: an upper bound, never a free stream.
   */
  private generatedText(payload: string): string {
    let data: unknown;
    try {
      data = JSON.parse(payload);
    } catch {
      return this.route.streamCompletion ? '' : payload;
    }
    if (this.route.streamCompletion) return textAt(data, this.route.streamCompletion);
    return textAt(data, this.route.responseCompletion) || payload;
  }

  end(): string {
    return '';
  }

  get completionText(): string {
    return this.texts.join('');
  }

  private cut(): string {
    this.done = true;
    this.errorCode = 'too_many_empty_stream_messages';
    const body: OpenAIErrorBody = {
      error: {
        message: `The custom provider sent more than ${this.route.streamMaxEmptyMessages} empty stream messages in a row; the stream was cut.`,
        type: 'api_error',
        param: null,
        code: this.errorCode,
      },
    };
    return `data: ${JSON.stringify(body)}\n\n`;
  }
}
