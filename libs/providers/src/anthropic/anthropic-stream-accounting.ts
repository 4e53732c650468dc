import { TokenUsage } from '../usage';
import { definedCounts, fromAnthropicUsage } from './anthropic-mapping';
import { AnthropicUsage } from './anthropic.types';

/**
 * What an Anthropic stream reports and generates, for pricing; shared by the translator (OpenAI
 * clients) and the native observer. Usage comes in two halves: input counts in message_start,
 * the cumulative output count in message_delta (message_start says output_tokens: 1). The
 * generated text (text, thinking, tool arguments) is kept to count when a stream is cut before
 * its final count.
 */
export class AnthropicStreamAccounting {
  /** Anthropic's counts as reported so far: message_start's, updated by message_delta's. */
  private counts: Partial<AnthropicUsage> | null = null;
  private outputReported = false;
  private readonly generated: string[] = [];

  start(usage: Partial<AnthropicUsage> | undefined): void {
    this.counts = definedCounts(usage);
  }

  /** message_delta repeats some counts, sometimes as null: only the numbers it gives replace the start's. */
  delta(usage: Partial<AnthropicUsage> | undefined): void {
    this.counts = { ...this.counts, ...definedCounts(usage) };
    this.outputReported ||= typeof usage?.output_tokens === 'number';
  }

  generate(text: string | undefined): void {
    if (text) this.generated.push(text);
  }

  get usage(): TokenUsage | null {
    return this.counts ? fromAnthropicUsage(this.counts) : null;
  }

  get usageFinal(): boolean {
    return this.outputReported;
  }

  get cacheReadTokens(): number {
    return this.counts?.cache_read_input_tokens ?? 0;
  }

  get text(): string {
    return this.generated.join('');
  }
}
