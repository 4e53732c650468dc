/**
 * What a model reads as its prompt, taken from a request body of any of the APIs the gateway
 * speaks (OpenAI chat, completions, embeddings and Responses; Anthropic; Gemini): the text the
 * tokenizer counts, the structured parts counted from their JSON, and what is counted without the
 * tokenizer (media, token ids). Budgets reserve from these, and an event whose provider reported
 * no usage is estimated from them.
 */

/**
 * Request fields the model reads besides the messages' text: tool and function definitions,
 * output schemas, and the prompt fields of native APIs relayed as they are (Anthropic's
 * `system`, Gemini's `contents` and `systemInstruction`, the Responses API's `instructions`).
 */
const PROMPT_FIELDS = ['tools', 'functions', 'tool_choice', 'function_call', 'response_format', 'system', 'instructions', 'contents', 'systemInstruction', 'system_instruction'];
/** Message fields the model reads besides their content: earlier tool calls and their arguments. */
const MESSAGE_PROMPT_FIELDS = ['tool_calls', 'function_call', 'name', 'tool_call_id'];

/**
 * A bound on what an image costs in prompt tokens. OpenAI's patch-counted models read at most
 * 1,536 patches at up to 2.46 tokens each (the nano models): 3,779; tile-counted high detail,
 * Anthropic (about 1,600) and Gemini (258 per tile) stay below it.
 */
const TOKENS_PER_IMAGE = 4_000;

/** The text of a chat or completion request that the model reads as its prompt. */
export function promptTextOf(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const record = body as Record<string, unknown>;
  const parts: string[] = [];
  if (Array.isArray(record.messages)) {
    for (const message of record.messages as Array<Record<string, unknown>>) {
      parts.push(contentText(message?.content));
    }
  }
  // Legacy completions take one prompt or a list; embeddings one input or a list. (Pushed one
  // by one: spreading a list of a million strings overflows the call stack.)
  for (const field of [record.prompt, record.input]) {
    if (typeof field === 'string') parts.push(field);
    else if (Array.isArray(field)) for (const item of field) if (typeof item === 'string') parts.push(item);
  }
  return parts.join('\n');
}

/**
 * Tokens given as ids rather than text: a legacy completions `prompt` or an embeddings `input`
 * may be a list of token ids, or a list of such lists.
 */
export function tokenIdCountOf(body: unknown): number {
  if (!body || typeof body !== 'object') return 0;
  const record = body as Record<string, unknown>;
  let count = 0;
  for (const field of [record.prompt, record.input]) {
    if (!Array.isArray(field)) continue;
    for (const item of field) {
      if (typeof item === 'number') count += 1;
      else if (Array.isArray(item)) count += item.length;
    }
  }
  return count;
}

/**
 * Content part types whose text contentText reads (tool results one level down, as Anthropic
 * nests them) or whose size mediaTokensOf counts; any other part (a tool call's input, a server
 * tool's result) is counted from its JSON.
 */
const COUNTED_PART_TYPES = new Set(['text', 'input_text', 'output_text', 'refusal', 'thinking', 'tool_result', 'image_url', 'image', 'input_image', 'input_audio', 'file', 'document', 'input_file']);

function contentText(content: unknown, nested = false): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => partText(part, nested)).join('');
}

function partText(part: unknown, nested: boolean): string {
  if (!part || typeof part !== 'object') return '';
  const record = part as Record<string, unknown>;
  if (typeof record.text === 'string') return record.text;
  if (typeof record.thinking === 'string') return record.thinking;
  if (typeof record.refusal === 'string') return record.refusal;
  // A tool result's content is a string or a list of parts; never deeper.
  return record.type === 'tool_result' && !nested ? contentText(record.content, true) : '';
}

/** The JSON of the prompt's non-text parts ('' when there are none). */
export function structuredPromptOf(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const record = body as Record<string, unknown>;
  const parts: unknown[] = PROMPT_FIELDS.filter((field) => record[field] !== undefined && record[field] !== null).map((field) => record[field]);
  // The Responses API's `input` may be a list of message items rather than strings (token ids,
  // numbers or lists of them, are counted apart).
  const items = inputItemsOf(record);
  if (items.length > 0) parts.push(items);
  if (Array.isArray(record.messages)) {
    for (const message of record.messages) {
      if (!message || typeof message !== 'object') continue;
      for (const field of MESSAGE_PROMPT_FIELDS) {
        const value = (message as Record<string, unknown>)[field];
        if (value !== undefined && value !== null) parts.push(value);
      }
      // Anthropic's tool calls (tool_use with its input) and other structured parts.
      const content = (message as { content?: unknown }).content;
      if (Array.isArray(content)) {
        for (const part of content) {
          if (part && typeof part === 'object' && !COUNTED_PART_TYPES.has(String((part as { type?: unknown }).type))) parts.push(part);
        }
      }
    }
  }
  return parts.length === 0 ? '' : JSON.stringify(parts);
}

/**
 * Prompt tokens of non-text content parts, which the text count misses: images at a fixed
 * bound, audio, files and documents by their encoded size (bytes bound tokens).
 */
export function mediaTokensOf(body: unknown): number {
  if (!body || typeof body !== 'object') return 0;
  const record = body as Record<string, unknown>;
  let tokens = 0;
  const visit = (content: unknown) => {
    if (!Array.isArray(content)) return;
    for (const part of content) {
      if (!part || typeof part !== 'object') continue;
      const type = (part as { type?: unknown }).type;
      if (type === 'image_url' || type === 'image' || type === 'input_image') tokens += TOKENS_PER_IMAGE;
      else if (type === 'input_audio' || type === 'file' || type === 'document' || type === 'input_file') tokens += Buffer.byteLength(JSON.stringify(part), 'utf8');
      else if (type === 'tool_result') visit((part as { content?: unknown }).content);
    }
  };
  if (Array.isArray(record.messages)) for (const message of record.messages) visit((message as { content?: unknown } | null)?.content);
  for (const item of inputItemsOf(record)) visit((item as { content?: unknown }).content);
  return tokens;
}

/**
 * The tokens a chat prompt's framing adds to its text, as OpenAI counts them: each message is
 * wrapped in 3 tokens plus its role's (one), and 3 more prime the reply. A one-line message of
 * 8 tokens is a 15-token prompt; counting its text alone under-billed every estimated event.
 */
export function chatFramingTokensOf(body: unknown): number {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages) || messages.length === 0) return 0;
  return messages.length * TOKENS_PER_MESSAGE + TOKENS_PRIMING_THE_REPLY;
}

const TOKENS_PER_MESSAGE = 4;
const TOKENS_PRIMING_THE_REPLY = 3;

/** Everything a model reads, for an estimate without the provider's count: text to tokenize, and tokens counted otherwise. */
export function promptEstimationInputOf(body: unknown): { prompt: string; promptExtraTokens: number } {
  const structured = structuredPromptOf(body);
  const text = promptTextOf(body);
  return {
    prompt: structured === '' ? text : `${text}\n${structured}`,
    promptExtraTokens: mediaTokensOf(body) + tokenIdCountOf(body) + chatFramingTokensOf(body),
  };
}

function inputItemsOf(record: Record<string, unknown>): object[] {
  return Array.isArray(record.input) ? record.input.filter((item): item is object => item !== null && typeof item === 'object' && !Array.isArray(item)) : [];
}
