import { OpenAIErrorBody } from '@tollgate/common';
import { ChatCall, ChatStreamTranslator } from '../provider-adapter';
import { incompleteStream } from '../sse/incomplete-stream';
import { sseData } from '../sse/sse-splitter';
import { TokenUsage } from '../usage';
import { toOpenAIFinishReason, toOpenAIUsageBody } from './anthropic-mapping';
import { JSON_RESPONSE_TOOL, jsonResponseToolOf } from './anthropic-request';
import { AnthropicStreamAccounting } from './anthropic-stream-accounting';
import { fromAnthropicErrorType } from './anthropic-errors';
import { AnthropicErrorBody, AnthropicStreamEvent } from './anthropic.types';
import { OpenAIChatCompletionChunk, OpenAIChunkDelta, OpenAIFinishReason } from '../openai/openai-chat.types';
import { modelNameOf } from '../model-name';

const DONE = 'data: [DONE]\n\n';
/**
 * An SSE comment, which OpenAI's SDKs (and every SSE parser) skip: sent for Anthropic's pings
 * and for thinking, which have no chunk of their own, so a client (or a proxy between, with its
 * idle timeout) still hears from a stream while the model thinks before its first token.
 */
const KEEPALIVE = ': keep-alive\n\n';

/**
 * Anthropic's SSE events → OpenAI `chat.completion.chunk` events, one upstream event at a time.
 *
 * Anthropic numbers content blocks (text and tool_use alike); OpenAI numbers tool calls only,
 * so tool_use blocks get their own running index. Usage arrives in two halves: input counts in
 * `message_start`, the cumulative output count in `message_delta`.
 */
export class AnthropicStreamTranslator implements ChatStreamTranslator {
  private id = '';
  private currentModel: string;
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly accounting = new AnthropicStreamAccounting();
  /** Anthropic content block index → OpenAI tool call index. */
  private readonly toolIndexes = new Map<number, number>();
  /** Tool calls (by block index) whose arguments have not started yet. */
  private readonly toolsWithoutArguments = new Set<number>();
  private finished = false;
  private failure: string | null = null;
  /** JSON mode (see jsonResponseToolOf): the forced tool's input streams as the content. */
  private readonly jsonMode: boolean;
  /** The content block of the forced tool's call, once it has started; whether it had input. */
  private jsonBlock: { index: number; hadInput: boolean } | null = null;

  constructor(
    call: ChatCall,
    private readonly clientWantsUsage: boolean,
  ) {
    this.currentModel = call.model;
    this.jsonMode = jsonResponseToolOf(call.body) !== null;
  }

  push(raw: string): string {
    if (this.finished) return '';
    const event = parseEvent(raw);
    if (!event) return '';
    switch (event.type) {
      case 'message_start':
        this.id = event.message.id;
        this.currentModel = modelNameOf(event.message.model) ?? this.currentModel;
        this.accounting.start(event.message.usage);
        return this.chunk({ role: 'assistant', content: '' });
      case 'content_block_start': {
        const block = event.content_block;
        // JSON mode: the answer is the first forced-tool call's input alone, as in the
        // non-streamed translation; text around it, or a second call, would not parse.
        if (this.jsonMode && (block.type === 'text' || this.jsonBlock !== null)) return '';
        if (block.type === 'text') return block.text ? this.content(block.text) : '';
        if (block.type !== 'tool_use') return '';
        if (this.jsonMode && block.name === JSON_RESPONSE_TOOL) {
          this.jsonBlock = { index: event.index, hadInput: false };
          return '';
        }
        const index = this.toolIndexes.size;
        this.toolIndexes.set(event.index, index);
        this.toolsWithoutArguments.add(event.index);
        return this.chunk({ tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] });
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (this.jsonMode && event.index !== this.jsonBlock?.index) {
          // Generated all the same: counted, not relayed.
          this.accounting.generate(delta.type === 'text_delta' ? delta.text : delta.type === 'input_json_delta' ? delta.partial_json : delta.type === 'thinking_delta' ? delta.thinking : undefined);
          return '';
        }
        if (delta.type === 'text_delta') return delta.text ? this.content(delta.text) : '';
        // Thinking is billed output with no OpenAI chat equivalent: counted, not relayed.
        if (delta.type === 'thinking_delta') {
          this.accounting.generate(delta.thinking);
          return KEEPALIVE;
        }
        if (delta.type !== 'input_json_delta' || !delta.partial_json) return '';
        if (this.jsonBlock?.index === event.index) {
          this.jsonBlock.hadInput = true;
          return this.content(delta.partial_json);
        }
        this.accounting.generate(delta.partial_json);
        this.toolsWithoutArguments.delete(event.index);
        const index = this.toolIndexes.get(event.index);
        return index === undefined ? '' : this.chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] });
      }
      case 'content_block_stop': {
        if (this.jsonBlock?.index === event.index) return this.jsonBlock.hadInput ? '' : this.content('{}');
        // A tool without parameters streams no input at all: its arguments are "{}", as in the
        // non-streamed answer and in OpenAI's, not "" (which strict clients fail to parse).
        const index = this.toolIndexes.get(event.index);
        if (index === undefined || !this.toolsWithoutArguments.delete(event.index)) return '';
        return this.chunk({ tool_calls: [{ index, function: { arguments: '{}' } }] });
      }
      case 'message_delta':
        // Counts here are cumulative, so they replace what message_start said.
        this.accounting.delta(event.usage);
        if (!event.delta.stop_reason) return '';
        // The forced tool's call is the answer itself: it ends the turn as an answer does.
        return this.chunk({}, this.jsonBlock && event.delta.stop_reason === 'tool_use' ? 'stop' : toOpenAIFinishReason(event.delta.stop_reason));
      case 'message_stop':
        this.finished = true;
        return `${this.usageChunk()}${DONE}`;
      case 'error':
        // The status line has gone out already, so the error travels as an OpenAI error frame;
        // like the relay's own mid-stream errors, it ends the stream without [DONE].
        this.finished = true;
        this.failure = event.error.type;
        return `data: ${JSON.stringify(toErrorFrame(event))}\n\n`;
      case 'ping':
        return KEEPALIVE;
      default:
        // Event types Anthropic may add later.
        return '';
    }
  }

  /**
   * The upstream ended its body: after message_stop (or an error event) there is nothing to add.
   * Before it the answer is incomplete, whatever the text so far says: the relay sends the
   * client an error frame rather than a [DONE] that would pass a partial answer off as whole.
   */
  end(): string {
    if (this.finished) return '';
    this.finished = true;
    throw incompleteStream();
  }

  /** Over at message_stop or an error event: the relay ends the client's response then, whatever the upstream does next. */
  get done(): boolean {
    return this.finished;
  }

  get usage(): TokenUsage | null {
    return this.accounting.usage;
  }

  get usageFinal(): boolean {
    return this.accounting.usageFinal;
  }

  get model(): string | null {
    return this.currentModel;
  }

  get completionText(): string {
    return this.accounting.text;
  }

  /** Anthropic's error type when the stream ended in an `error` event, for the request's event. */
  get errorCode(): string | null {
    return this.failure;
  }

  private content(text: string): string {
    this.accounting.generate(text);
    return this.chunk({ content: text });
  }

  private chunk(delta: OpenAIChunkDelta, finishReason: OpenAIFinishReason | null = null): string {
    const chunk: OpenAIChatCompletionChunk = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.currentModel,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    // With include_usage, OpenAI gives every chunk a usage field, null until the last one.
    if (this.clientWantsUsage) chunk.usage = null;
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  /** OpenAI's final usage chunk (`choices: []`), only when the client asked for it. */
  private usageChunk(): string {
    const usage = this.usage;
    if (!this.clientWantsUsage || !usage) return '';
    const chunk: OpenAIChatCompletionChunk = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.currentModel,
      choices: [],
      usage: toOpenAIUsageBody(usage, this.accounting.cacheReadTokens),
    };
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }
}

/** The event's JSON payload; its `type` names the event (the `event:` line repeats it). */
function parseEvent(raw: string): AnthropicStreamEvent | null {
  const data = sseData(raw);
  if (data === null) return null;
  try {
    const parsed = JSON.parse(data) as Partial<AnthropicStreamEvent> | null;
    if (!parsed || typeof parsed !== 'object') return null;
    const type = typeof parsed.type === 'string' ? parsed.type : eventName(raw);
    return type ? ({ ...parsed, type } as AnthropicStreamEvent) : null;
  } catch {
    return null;
  }
}

function eventName(raw: string): string | null {
  const line = raw.split(/\r?\n/).find((l) => l.startsWith('event:'));
  return line ? line.slice('event:'.length).trim() : null;
}

function toErrorFrame(event: AnthropicErrorBody): OpenAIErrorBody {
  const type = event.error?.type ?? 'api_error';
  return { error: { message: event.error?.message ?? 'upstream stream error', type: fromAnthropicErrorType(type), param: null, code: type } };
}

