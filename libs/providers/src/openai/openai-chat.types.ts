/**
 * The OpenAI chat shapes the translating adapters (Anthropic, Gemini) read and write. Only what
 * is translated is typed; request bodies come from clients, so readers still check values at
 * runtime. Top-level shapes are `type` aliases so they fit `TranslatedResponse.body`.
 */

export type OpenAIContentPart =
  | { type: 'text'; text: string }
  | { type: 'refusal'; refusal: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: 'input_audio'; input_audio: { data: string; format: string } }
  | { type: 'file'; file: { file_data?: string; file_id?: string; filename?: string } };

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OpenAIChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';
  content?: string | OpenAIContentPart[] | null;
  /** The function name on legacy `role: "function"` messages. */
  name?: string;
  tool_calls?: OpenAIToolCall[];
  tool_call_id?: string;
}

export interface OpenAIFunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type OpenAIToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export type OpenAIResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name?: string; schema?: Record<string, unknown>; strict?: boolean } };

export interface OpenAIChatRequest {
  messages: OpenAIChatMessage[];
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[] | null;
  n?: number;
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  response_format?: OpenAIResponseFormat;
  tools?: OpenAIFunctionTool[];
  tool_choice?: OpenAIToolChoice;
}

/**
 * OpenAI's finish reasons, and one of Gemini's that has none: a function call the model failed
 * to form (LiteLLM's name for it). Reported as "stop", agents would take the empty answer for
 * the model choosing to say nothing.
 */
export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'malformed_function_call';

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Always present, as in OpenAI's answers: clients read `usage.prompt_tokens_details.cached_tokens` unguarded. */
  prompt_tokens_details: { cached_tokens: number; audio_tokens?: number };
  completion_tokens_details: { reasoning_tokens: number };
}

export interface OpenAIAssistantMessage {
  role: 'assistant';
  content: string | null;
  refusal: null;
  tool_calls?: OpenAIToolCall[];
}

export type OpenAIChatCompletion = {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: OpenAIAssistantMessage;
    logprobs: null;
    finish_reason: OpenAIFinishReason | null;
  }>;
  usage?: OpenAIUsage;
};

/** A translated answer's message, as OpenAI writes it: null content on a pure tool-call turn. */
export function toOpenAIAssistantMessage(text: string, toolCalls: OpenAIToolCall[]): OpenAIAssistantMessage {
  return {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
}

/**
 * A streamed tool call fragment. Its first fragment carries id and name; later ones may carry
 * argument text only (Anthropic splits a call's arguments, Gemini sends each call whole).
 */
export interface OpenAIToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

export interface OpenAIChunkDelta {
  role?: 'assistant';
  content?: string;
  tool_calls?: OpenAIToolCallDelta[];
}

export type OpenAIChatCompletionChunk = {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: number; delta: OpenAIChunkDelta; logprobs: null; finish_reason: OpenAIFinishReason | null }>;
  /**
   * Only when the client asked for usage: Anthropic's translator sends it once, on a final chunk
   * whose `choices` is empty; Gemini's puts null on every chunk, then the totals on the last.
   */
  usage?: OpenAIUsage | null;
};

export type OpenAIEmbeddingList = {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
};
