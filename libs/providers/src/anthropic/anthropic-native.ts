import { ChatStreamTranslator, TranslatedResponse } from '../provider-adapter';
import { sseData } from '../sse/sse-splitter';
import { TokenUsage } from '../usage';

interface AnthropicUsageFields {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

/** Usage as billed: uncached input plus cache writes and reads, each also kept apart for pricing. */
function usageOf(usage: AnthropicUsageFields, completionTokens: number): TokenUsage {
  return {
    promptTokens: (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
    completionTokens,
    ...(usage.cache_read_input_tokens ? { cacheReadTokens: usage.cache_read_input_tokens } : {}),
    ...(usage.cache_creation_input_tokens ? { cacheWriteTokens: usage.cache_creation_input_tokens } : {}),
  };
}

/**
 * The native Messages API relayed untouched (the client speaks Anthropic): reads usage from
 * `message_start` and `message_delta`, and the text from `text_delta`s, on the way through.
 */
export class AnthropicNativeStreamObserver implements ChatStreamTranslator {
  usage: TokenUsage | null = null;
  model: string | null = null;
  /** Anthropic's error type when the stream ended in an `error` event. */
  errorCode: string | null = null;
  private readonly text: string[] = [];

  push(event: string): string {
    const data = sseData(event);
    if (data === null) return event;
    try {
      const parsed = JSON.parse(data) as {
        type?: string;
        message?: { model?: string; usage?: AnthropicUsageFields };
        usage?: AnthropicUsageFields;
        delta?: { type?: string; text?: string };
        error?: { type?: string };
      };
      if (parsed.type === 'message_start' && parsed.message) {
        this.model = parsed.message.model ?? this.model;
        this.usage = usageOf(parsed.message.usage ?? {}, parsed.message.usage?.output_tokens ?? 0);
      } else if (parsed.type === 'message_delta' && parsed.usage) {
        const completion = parsed.usage.output_tokens ?? this.usage?.completionTokens ?? 0;
        // message_delta repeats input counts only sometimes; without them the start's stand.
        this.usage = parsed.usage.input_tokens !== undefined ? usageOf(parsed.usage, completion) : { ...(this.usage ?? { promptTokens: 0 }), completionTokens: completion };
      } else if (parsed.type === 'content_block_delta' && parsed.delta?.type === 'text_delta' && parsed.delta.text) {
        this.text.push(parsed.delta.text);
      } else if (parsed.type === 'error') {
        this.errorCode = parsed.error?.type ?? 'api_error';
      }
    } catch {
      // Relayed regardless; only the accounting skips it.
    }
    return event;
  }

  end(): string {
    return '';
  }

  get completionText(): string {
    return this.text.join('');
  }
}

/** Usage, model and text of a native (non-streamed) Messages or Complete response. */
export function readAnthropicResponse(raw: Buffer): TranslatedResponse {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as {
      model?: string;
      usage?: AnthropicUsageFields;
      content?: Array<{ type?: string; text?: string }>;
      completion?: string;
    };
    const text = Array.isArray(parsed.content)
      ? parsed.content.map((block) => (block.type === 'text' && block.text ? block.text : '')).join('')
      : (parsed.completion ?? '');
    return {
      body: raw,
      usage: parsed.usage ? usageOf(parsed.usage, parsed.usage.output_tokens ?? 0) : null,
      model: parsed.model ?? null,
      completionText: text,
    };
  } catch {
    return { body: raw, usage: null, model: null, completionText: '' };
  }
}
