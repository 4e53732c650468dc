import { ChatStreamTranslator, TranslatedResponse } from '../provider-adapter';
import { sseData } from '../sse/sse-splitter';
import { TokenUsage } from '../usage';
import { fromAnthropicUsage } from './anthropic-mapping';
import { incompleteStream } from '../sse/incomplete-stream';
import { AnthropicStreamAccounting } from './anthropic-stream-accounting';
import { AnthropicUsage } from './anthropic.types';
import { modelNameOf } from '../model-name';

/**
 * The native Messages API relayed untouched (the client speaks Anthropic): reads usage from
 * `message_start` and `message_delta`, and what the model generates (text, thinking, tool arguments), on the way through.
 */
export class AnthropicNativeStreamObserver implements ChatStreamTranslator {
  model: string | null = null;
  /** Anthropic's error type when the stream ended in an `error` event. */
  errorCode: string | null = null;
  /** message_stop or an error event went through: the relay ends the client's response then. */
  done = false;
  private readonly accounting = new AnthropicStreamAccounting();

  get usage(): TokenUsage | null {
    return this.accounting.usage;
  }

  get usageFinal(): boolean {
    return this.accounting.usageFinal;
  }

  push(event: string): string {
    const data = sseData(event);
    if (data === null) return event;
    try {
      const parsed = JSON.parse(data) as {
        type?: string;
        message?: { model?: string; usage?: Partial<AnthropicUsage> };
        usage?: Partial<AnthropicUsage>;
        delta?: { type?: string; text?: string; partial_json?: string; thinking?: string };
        error?: { type?: string };
        stop_reason?: string | null;
        /** A legacy Text Completions event's text (it reports no usage: its output is counted). */
        completion?: string;
        model?: string;
      };
      if (parsed.type === 'message_start' && parsed.message) {
        this.model = modelNameOf(parsed.message.model) ?? this.model;
        this.accounting.start(parsed.message.usage);
      } else if (parsed.type === 'message_delta' && parsed.usage) {
        this.accounting.delta(parsed.usage);
      } else if (parsed.type === 'content_block_delta' && parsed.delta) {
        this.accounting.generate(parsed.delta.text ?? parsed.delta.partial_json ?? parsed.delta.thinking);
      } else if (parsed.type === 'completion') {
        this.model = modelNameOf(parsed.model) ?? this.model;
        this.accounting.generate(parsed.completion);
        // Its last completion event ends a legacy Text Completions stream.
        if (parsed.stop_reason) this.done = true;
      } else if (parsed.type === 'message_stop') {
        this.done = true;
      } else if (parsed.type === 'error') {
        this.errorCode = parsed.error?.type ?? 'api_error';
        this.done = true;
      }
    } catch {
      // Relayed regardless; only the accounting skips it.
    }
    return event;
  }

  /** A body that ended before message_stop holds an incomplete answer: the client gets an error event (see the translated stream's end()). */
  end(): string {
    if (this.done) return '';
    this.done = true;
    throw incompleteStream();
  }

  get completionText(): string {
    return this.accounting.text;
  }
}

/** Usage, model and text of a native (non-streamed) Messages or Complete response. */
export function readAnthropicResponse(raw: Buffer): TranslatedResponse {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as {
      model?: string;
      usage?: Partial<AnthropicUsage>;
      content?: Array<{ type?: string; text?: string }>;
      completion?: string;
    };
    const text = Array.isArray(parsed.content)
      ? parsed.content.map((block) => (block.type === 'text' && block.text ? block.text : '')).join('')
      : (parsed.completion ?? '');
    return {
      body: raw,
      usage: parsed.usage ? fromAnthropicUsage(parsed.usage) : null,
      model: modelNameOf(parsed.model),
      completionText: text,
    };
  } catch {
    return { body: raw, usage: null, model: null, completionText: '' };
  }
}
