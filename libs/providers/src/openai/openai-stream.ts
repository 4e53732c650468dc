import { sseData } from '../sse/sse-splitter';
import { TokenUsage, fromOpenAIUsage } from '../usage';

/** A usage object or an error, in any JSON spacing ("usage":null is the common, empty case). */
const MAY_CARRY_USAGE_OR_ERROR = /"usage"\s*:\s*\{|"error"\s*:/;
/** Unparsed chunks kept before their text is folded in, bounding memory on long streams. */
const MAX_PENDING_CHARS = 1_000_000;

/** What a chunk generated, for counting when usage never comes: content and tool-call arguments. */
function collectText(choices: Array<Record<string, unknown>>, into: string[]): void {
  for (const choice of choices) {
    const delta = choice.delta as Record<string, unknown> | undefined;
    if (!delta) continue;
    if (typeof delta.content === 'string') into.push(delta.content);
    into.push(toolCallText(delta.tool_calls));
  }
}

/** The names and arguments of OpenAI tool calls (a message's, or a stream delta's pieces), as text to count. */
export function toolCallText(calls: unknown): string {
  if (!Array.isArray(calls)) return '';
  return calls
    .map((call: { function?: { name?: unknown; arguments?: unknown } } | null) =>
      [call?.function?.name, call?.function?.arguments].filter((part): part is string => typeof part === 'string').join(''),
    )
    .join('');
}

/**
 * Watches an OpenAI chat stream event by event: captures usage, model and the generated
 * text, and decides whether each event is relayed (the usage chunk the gateway asked for on
 * the client's behalf is dropped).
 */
export class OpenAIStreamObserver {
  usage: TokenUsage | null = null;
  model: string | null = null;
  /** The error's code (or type) when the stream carried an error frame. */
  errorCode: string | null = null;
  private readonly text: string[] = [];
  /** Content chunks not parsed yet: their text is only needed if usage never arrives. */
  private pending: string[] = [];
  private pendingChars = 0;
  /** The first chunk is always parsed: it names the model. */
  private parsedFirst = false;
  private finished = false;

  constructor(private readonly clientWantsUsage: boolean) {}

  /** Returns true when the event should reach the client. */
  observe(event: string): boolean {
    const data = sseData(event);
    if (data === null) return true;
    if (data === '[DONE]') {
      this.finished = true;
      return true;
    }
    // Most events are plain content chunks: relayed without parsing (JSON.parse of every chunk
    // was a visible share of the relay's CPU). Only chunks that may carry usage or an error, and
    // the first one (for the model), are parsed now.
    if (this.parsedFirst && !MAY_CARRY_USAGE_OR_ERROR.test(data)) {
      this.pending.push(data);
      this.pendingChars += data.length;
      if (this.pendingChars > MAX_PENDING_CHARS) this.parsePending();
      return true;
    }
    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return true;
    }
    const error = chunk.error as { code?: unknown; type?: unknown } | undefined;
    if (error && typeof error === 'object') {
      this.errorCode = typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : 'upstream_stream_error';
      return true;
    }
    this.parsedFirst = true;
    if (typeof chunk.model === 'string') this.model = chunk.model;
    const usage = fromOpenAIUsage(chunk.usage);
    if (usage) this.usage = usage;
    const choices = Array.isArray(chunk.choices) ? (chunk.choices as Array<Record<string, unknown>>) : [];
    // The earlier text goes first; a chunk without choices (the usage chunk) adds none, so it
    // leaves the pending chunks unparsed (the text is only read when no usage came).
    if (choices.length > 0) {
      this.parsePending();
      collectText(choices, this.text);
    }
    const isUsageOnlyChunk = usage !== null && choices.length === 0;
    return !isUsageOnlyChunk || this.clientWantsUsage;
  }

  get completionText(): string {
    this.parsePending();
    return this.text.join('');
  }

  /** Folds the unparsed chunks' text in, in order. */
  private parsePending(): void {
    if (this.pending.length === 0) return;
    for (const data of this.pending) {
      try {
        const chunk = JSON.parse(data) as { choices?: unknown };
        if (Array.isArray(chunk.choices)) collectText(chunk.choices as Array<Record<string, unknown>>, this.text);
      } catch {
        // Not JSON: nothing to count.
      }
    }
    this.pending = [];
    this.pendingChars = 0;
  }

  get sawDone(): boolean {
    return this.finished;
  }
}
