import { isRecord } from '@tollgate/common';

/**
 * Whether what a generating request will cost is bounded by what it carries. A budget reserves
 * a request's worst case from its body; content the provider pulls in from elsewhere (a file
 * stored at the provider, a document fetched from a URL, results of remote tools) and tools the
 * provider bills per call (web search, code execution) are not in the body, so no reservation
 * covers them. Such requests are refused to keys and users with a cost limit, and recorded with
 * an unknown cost when the provider reports no usage.
 */

/** Tools the Responses API runs within a request, billed by tokens: any other (web search, file search, code interpreter) is billed per call. */
const TOKEN_BILLED_RESPONSES_TOOLS = new Set(['function', 'custom']);

/**
 * Anthropic's server tools (versioned types such as `web_search_20250305`): the provider runs
 * them, bills searches and container time per use, and feeds their results in as input tokens.
 * Anthropic's client tools (bash, text editor, computer use) are run by the caller and billed by
 * tokens like any function.
 */
const ANTHROPIC_SERVER_TOOL = /^(web_search|web_fetch|code_execution|tool_search)_/;

/**
 * A Responses API request is billed by the tokens its usage reports unless it brings costs the
 * gateway can neither see nor count: built-in tools (billed per call), a stored prompt (its
 * text and tools are the provider's), earlier turns it continues (previous_response_id, a
 * conversation, an item by reference) or files by id or URL (their tokens are not in the
 * request, so no reservation could cover them), or a background run (its usage never comes back
 * on this request).
 */
export function responsesBilledByTokens(body: Record<string, unknown> | null): boolean {
  if (body === null || body.background === true) return false;
  if ([body.prompt, body.previous_response_id, body.conversation].some(isSet)) return false;
  const tools = Array.isArray(body.tools) ? body.tools : [];
  if (!tools.every((tool) => isRecord(tool) && TOKEN_BILLED_RESPONSES_TOOLS.has(String(tool.type)))) return false;
  return !responsesInputReferencesStoredContent(body.input);
}

/**
 * The same question for a chat completion (OpenAI's shape, whatever provider it is translated
 * to) or an Anthropic Messages request: false when it names a file stored at the provider, a
 * document by URL, OpenAI's web search, Anthropic's server tools, MCP servers or a container,
 * or an earlier answer's audio by id. (Audio the body sends or asks for is bounded by the body and
 * priced at the model's audio rates; see AdmissionService.)
 */
export function chatBilledByTokens(body: Record<string, unknown> | null): boolean {
  if (body === null) return true;
  // An earlier answer's audio, referred to by id, is read again as input audio the body does not
  // hold, at several times the text rate.
  if (referencesEarlierAudio(body)) return false;
  // OpenAI's search models bill a fee per search; Anthropic's MCP connector and containers bring
  // in tool results and files the request does not hold.
  if (isSet(body.web_search_options) || isSet(body.container) || (Array.isArray(body.mcp_servers) ? body.mcp_servers.length > 0 : isSet(body.mcp_servers))) return false;
  if (Array.isArray(body.tools) && body.tools.some((tool) => isRecord(tool) && typeof tool.type === 'string' && ANTHROPIC_SERVER_TOOL.test(tool.type))) return false;
  if (!Array.isArray(body.messages)) return true;
  return !body.messages.some((message) => isRecord(message) && contentReferencesStoredContent(message.content));
}

function referencesEarlierAudio(body: Record<string, unknown>): boolean {
  return Array.isArray(body.messages) && body.messages.some((message) => isRecord(message) && isSet(message.audio));
}

function contentReferencesStoredContent(content: unknown, nested = false): boolean {
  if (!Array.isArray(content)) return false;
  return content.some((part) => {
    if (!isRecord(part)) return false;
    // OpenAI: { type: 'file', file: { file_id } } (inline `file_data` is in the request).
    if (part.type === 'file' && isRecord(part.file) && isSet(part.file.file_id)) return true;
    // Anthropic: a document (or image) whose source is a URL or an uploaded file; a file put
    // into the code execution container. Images are counted at a bound whatever their size,
    // so only documents by reference are unbounded.
    if (part.type === 'document' && isRecord(part.source) && (part.source.type === 'url' || part.source.type === 'file')) return true;
    if (part.type === 'container_upload') return true;
    return part.type === 'tool_result' && !nested && contentReferencesStoredContent(part.content, true);
  });
}

/** Responses input that pulls in content stored at OpenAI (an item by reference, a file by id or URL): its tokens are not in the request. */
function responsesInputReferencesStoredContent(input: unknown): boolean {
  if (!Array.isArray(input)) return false;
  return input.some((item) => {
    if (!isRecord(item)) return false;
    if (item.type === 'item_reference') return true;
    return Array.isArray(item.content) && item.content.some((part) => isRecord(part) && part.type === 'input_file' && (part.file_id !== undefined || part.file_url !== undefined));
  });
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/**
 * Output limits an OpenAI-shaped chat or completions body may carry that no provider behind
 * those APIs reads (the Responses API's, Anthropic's legacy, Gemini's). A budget reserves by the
 * largest limit a body names; one of these let a request reserve for 1 token while the provider,
 * reading none of them, generated up to its default (or ANTHROPIC_DEFAULT_MAX_TOKENS).
 */
const FOREIGN_OUTPUT_LIMITS = ['max_output_tokens', 'max_tokens_to_sample', 'generationConfig', 'generation_config'];

/** The same for a Responses API body, whose only output limit is max_output_tokens. */
const FOREIGN_RESPONSES_OUTPUT_LIMITS = ['max_tokens', 'max_completion_tokens', 'max_tokens_to_sample', 'generationConfig', 'generation_config'];

/** The body a chat or completions request's worst case is counted from: without those limits. */
export function costedChatBody(body: Record<string, unknown>): Record<string, unknown> {
  return without(body, FOREIGN_OUTPUT_LIMITS);
}

/** The body a Responses API request's worst case is counted from. */
export function costedResponsesBody(body: Record<string, unknown>): Record<string, unknown> {
  return without(body, FOREIGN_RESPONSES_OUTPUT_LIMITS);
}

function without(body: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  if (!fields.some((field) => field in body)) return body;
  const costed = { ...body };
  for (const field of fields) delete costed[field];
  return costed;
}
