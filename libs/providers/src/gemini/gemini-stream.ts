import { ChatCall, ChatStreamTranslator } from '../provider-adapter';
import { sseData } from '../sse/sse-splitter';
import { TokenUsage } from '../usage';
import { CompletionIds, completionIdFor, newCompletionIds } from './completion-ids';
import { fromGoogleError } from './gemini-errors';
import { generatedText, textOf, toOpenAIFinishReason, toOpenAIToolCalls, toOpenAIUsage, toTokenUsage, withinToolCallLimit } from './gemini-candidate';
import { GeminiGenerateContentResponse, GoogleError } from './gemini.types';
import { OpenAIChatCompletionChunk, OpenAIChunkDelta, OpenAIFinishReason, OpenAIUsage } from '../openai/openai-chat.types';
import { modelNameOf } from '../model-name';
import { incompleteStream } from '../sse/incomplete-stream';

/**
 * `streamGenerateContent?alt=sse` → OpenAI `chat.completion.chunk` events. Each Gemini event
 * is a whole GenerateContentResponse fragment: text deltas, complete function calls (sent
 * as one tool_calls delta each), and on the last one finishReason and the final
 * usageMetadata (the last final one wins). Gemini never sends [DONE]; end() adds it, after
 * the usage chunk (`choices: []`) when the client asked for one and Gemini reported usage,
 * unless the stream ended in an error payload.
 */
export class GeminiStreamTranslator implements ChatStreamTranslator {
  model: string | null = null;
  private id: string | null = null;
  private openAIUsage: OpenAIUsage | null = null;
  /** Tool calls sent so far, per choice index; a choice is here once its first delta went out. */
  private readonly toolCallCounts = new Map<number, number>();
  private readonly text: string[] = [];
  /** Google's status (lower-cased) when the stream carried an error payload. */
  errorCode: string | null = null;
  /**
   * An error payload ends the stream: the relay stops reading, and no [DONE] follows the error
   * frame (as after the relay's own mid-stream errors and Anthropic's error events).
   */
  done = false;
  /** A finishReason (or a blocked prompt) arrived: the answer is whole. */
  private finished = false;

  constructor(
    private readonly call: ChatCall,
    private readonly clientWantsUsage: boolean,
    private readonly ids: CompletionIds = newCompletionIds(),
  ) {}

  push(event: string): string {
    const data = sseData(event);
    if (data === null) return '';
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return ''; // not a Gemini event; nothing a client could use
    }
    const error = (payload as { error?: GoogleError } | null)?.error;
    if (error && typeof error === 'object') {
      const body = fromGoogleError(error.code ?? 500, error);
      this.errorCode = body.error.code ?? `upstream_${error.code ?? 500}`;
      this.done = true;
      return frame(body);
    }
    return this.translate(payload as GeminiGenerateContentResponse);
  }

  /**
   * Gemini's last event carries a finishReason (or a prompt block). A body that ended before one
   * holds an incomplete answer: the relay sends an error frame, not a [DONE] that would pass a
   * partial answer off as whole.
   */
  end(): string {
    if (this.errorCode !== null) return '';
    if (!this.finished) throw incompleteStream();
    const usageChunk =
      this.clientWantsUsage && this.openAIUsage
        ? frame({ id: this.chunkId(), object: 'chat.completion.chunk', created: this.ids.created, model: this.chunkModel(), choices: [], usage: this.openAIUsage })
        : '';
    return `${usageChunk}data: [DONE]\n\n`;
  }

  get usage(): TokenUsage | null {
    return toTokenUsage(this.openAIUsage);
  }

  get completionText(): string {
    return this.text.join('');
  }

  private translate(response: GeminiGenerateContentResponse): string {
    this.id ??= completionIdFor(response.responseId, this.ids);
    this.model = modelNameOf(response.modelVersion) ?? this.model;
    // Every event carries usageMetadata, but only the last one counts the answer's tokens. A
    // stream cut before it reports no usage, so the gateway estimates instead of billing 0.
    const candidates = response.candidates ?? [];
    const final =
      response.usageMetadata?.candidatesTokenCount !== undefined ||
      candidates.some((candidate) => candidate.finishReason) ||
      Boolean(response.promptFeedback?.blockReason);
    if (final) this.openAIUsage = toOpenAIUsage(response.usageMetadata) ?? this.openAIUsage;
    if (candidates.some((candidate) => candidate.finishReason) || response.promptFeedback?.blockReason) this.finished = true;

    const out: string[] = [];
    if (candidates.length === 0 && response.promptFeedback?.blockReason) {
      out.push(this.chunk(0, this.opening(0), null), this.chunk(0, {}, 'content_filter'));
    }
    candidates.forEach((candidate, position) => {
      const index = candidate.index ?? position;
      const parts = candidate.content?.parts ?? [];
      const delta = this.opening(index);
      const text = textOf(parts);
      if (text) delta.content = text;
      const sent = this.toolCallCounts.get(index)!;
      const toolCalls = withinToolCallLimit(toOpenAIToolCalls(parts, () => this.ids.toolCallId()), this.call, sent).map((call, i) => ({ index: sent + i, ...call }));
      this.toolCallCounts.set(index, sent + toolCalls.length);
      if (toolCalls.length > 0) delta.tool_calls = toolCalls;
      this.text.push(generatedText(text, toolCalls));
      if (Object.keys(delta).length > 0) out.push(this.chunk(index, delta, null));
      if (candidate.finishReason) out.push(this.chunk(index, {}, toOpenAIFinishReason(candidate.finishReason, this.toolCallCounts.get(index)! > 0)));
    });
    return out.join('');
  }

  /** The first delta of each choice carries the role, as OpenAI's does. */
  private opening(index: number): OpenAIChunkDelta {
    if (this.toolCallCounts.has(index)) return {};
    this.toolCallCounts.set(index, 0);
    return { role: 'assistant' };
  }

  private chunk(index: number, delta: OpenAIChunkDelta, finish: OpenAIFinishReason | null): string {
    const chunk: OpenAIChatCompletionChunk = {
      id: this.chunkId(),
      object: 'chat.completion.chunk',
      created: this.ids.created,
      model: this.chunkModel(),
      choices: [{ index, delta, logprobs: null, finish_reason: finish }],
    };
    // OpenAI puts `usage: null` on every chunk once the client asked for usage.
    if (this.clientWantsUsage) chunk.usage = null;
    return frame(chunk);
  }

  private chunkId(): string {
    return this.id ?? this.ids.completionId;
  }

  private chunkModel(): string {
    return this.model ?? this.call.model;
  }
}

function frame(payload: object): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}
