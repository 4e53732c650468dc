import { modelNameOf } from '../model-name';
import { sseData } from '../sse/sse-splitter';
import { TokenUsage, fromOpenAIUsage } from '../usage';

/** A usage object or an error, in any JSON spacing ("usage":null is the common, empty case). */
const MAY_CARRY_USAGE_OR_ERROR = /"usage"\s*:\s*\{|"error"\s*:/;
/** Unparsed chunks kept before their text is folded in, bounding memory on long streams. */
const MAX_PENDING_CHARS = 1_000_000;

/** A choice's end: `"finish_reason": "stop"` (a null one is the common, unfinished case). */
const FINISH_REASON = /"finish_reason"\s*:\s*"/;
/** The Responses API's last lifecycle events: the answer ended, well or not. */
const RESPONSE_END = /^response\.(completed|incomplete|failed)$/;

/** Responses API events whose `delta` is generated text: output, tool arguments, refusals, reasoning. */
const RESPONSE_TEXT_DELTA = /^response\.(output_text|function_call_arguments|refusal|reasoning_text|reasoning_summary_text)\.delta$/;

/**
 * What an event generated, for counting when usage never comes: a chat chunk's content and
 * tool-call arguments, or a Responses API event's text delta.
 */
function collectText(chunk: Record<string, unknown>, into: string[]): void {
  if (typeof chunk.type === 'string' && RESPONSE_TEXT_DELTA.test(chunk.type)) {
    if (typeof chunk.delta === 'string') into.push(chunk.delta);
    return;
  }
  if (!Array.isArray(chunk.choices)) return;
  for (const choice of chunk.choices as Array<Record<string, unknown>>) {
    const delta = choice.delta as Record<string, unknown> | undefined;
    if (!delta) continue;
    if (typeof delta.content === 'string') into.push(delta.content);
    into.push(toolCallText(delta.tool_calls));
  }
}

/** The code of a stream's error: an error frame's, or a Responses API error event's. */
function errorCodeOf(error: { code?: unknown; type?: unknown }): string {
  return typeof error.code === 'string' ? error.code : typeof error.type === 'string' && error.type !== 'error' ? error.type : 'upstream_stream_error';
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
 * Watches an OpenAI stream event by event: captures usage, model and the generated text, and
 * decides whether each event is relayed (the usage chunk the gateway asked for on the client's
 * behalf is dropped). Chat and legacy completions streams carry usage on a chunk; Assistants
 * runs on their run and step objects; Responses API streams on the response object of their
 * lifecycle events (response.completed, .incomplete, .failed).
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
  /** Chunks are parsed until one names the model (the first, but for Azure's filter results). */
  private parsedFirst = false;
  private finished = false;
  /** A choice said why it ended: the answer is whole even if `[DONE]` never comes. */
  private finishReasonSeen = false;

  constructor(private readonly clientWantsUsage: boolean) {}

  /** Returns true when the event should reach the client. */
  observe(event: string): boolean {
    const data = sseData(event);
    if (data === null) return true;
    if (data === '[DONE]') {
      this.finished = true;
      return true;
    }
    if (!this.finishReasonSeen && FINISH_REASON.test(data)) this.finishReasonSeen = true;
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
    // JSON, but not an event object (`data: null`): nothing to read, relayed as it is.
    if (chunk === null || typeof chunk !== 'object') return true;
    const error = chunk.error as { code?: unknown; type?: unknown } | undefined;
    if (error && typeof error === 'object') {
      this.errorCode = errorCodeOf(error);
      return true;
    }
    if (chunk.type === 'error') {
      this.errorCode = errorCodeOf(chunk);
      return true;
    }
    // A Responses API lifecycle event carries the response, with its model and (once done) usage.
    const response = chunk.response !== null && typeof chunk.response === 'object' ? (chunk.response as Record<string, unknown>) : null;
    const source = response ?? chunk;
    if (response !== null && typeof chunk.type === 'string' && RESPONSE_END.test(chunk.type)) this.finishReasonSeen = true;
    // Azure's first chunk (content filter results) names no model (`"model": ""`): chunks are
    // parsed until one does.
    const model = modelNameOf(source.model);
    if (model !== null) {
      this.model = model;
      this.parsedFirst = true;
    }
    const usage = fromOpenAIUsage(source.usage);
    if (usage) this.usage = usage;
    const failure = response?.error as { code?: unknown; type?: unknown } | null | undefined;
    if (failure && typeof failure === 'object') this.errorCode = errorCodeOf(failure);
    const choices = Array.isArray(chunk.choices) ? chunk.choices.length : 0;
    // The earlier text goes first; a chunk without choices (the usage chunk) adds none, so it
    // leaves the pending chunks unparsed (the text is only read when no usage came).
    if (choices > 0 || typeof chunk.delta === 'string') {
      this.parsePending();
      collectText(chunk, this.text);
    }
    const isUsageOnlyChunk = usage !== null && response === null && choices === 0;
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
        const chunk = JSON.parse(data) as unknown;
        if (chunk !== null && typeof chunk === 'object') collectText(chunk as Record<string, unknown>, this.text);
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

  /**
   * Whether the upstream ended the answer: `[DONE]`, a finish_reason, a Responses API end event,
   * or an error frame (which already told the client). A stream that closed before any of these
   * was cut off.
   */
  get ended(): boolean {
    return this.finished || this.finishReasonSeen || this.errorCode !== null;
  }
}
