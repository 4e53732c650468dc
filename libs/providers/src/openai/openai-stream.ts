import { sseData } from '../sse/sse-splitter';
import { TokenUsage, fromOpenAIUsage } from '../usage';

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
    if (typeof chunk.model === 'string') this.model = chunk.model;
    const usage = fromOpenAIUsage(chunk.usage);
    if (usage) this.usage = usage;
    const choices = Array.isArray(chunk.choices) ? (chunk.choices as Array<Record<string, unknown>>) : [];
    for (const choice of choices) {
      const delta = choice.delta as Record<string, unknown> | undefined;
      if (delta && typeof delta.content === 'string') this.text.push(delta.content);
    }
    const isUsageOnlyChunk = usage !== null && choices.length === 0;
    return !isUsageOnlyChunk || this.clientWantsUsage;
  }

  get completionText(): string {
    return this.text.join('');
  }

  get sawDone(): boolean {
    return this.finished;
  }
}
