import { GatewayError, GatewayErrorCode, isRecord } from '@tollgate/common';
import { refuseLegacyFunctions } from '../openai/legacy-functions';
import { isThinkingEffort, reasoningEffortOf } from '../openai/reasoning-effort';
import { imageTypeOf } from '../image-type';
import { ChatCall, ProviderDefaults } from '../provider-adapter';
import {
  AnthropicImageBlock,
  AnthropicMessage,
  AnthropicMessagesRequest,
  AnthropicRequestBlock,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
} from './anthropic.types';

/**
 * OpenAI chat request → Anthropic Messages request. Every field is rebuilt rather than copied,
 * because Anthropic rejects fields it does not know: OpenAI-only fields (logit_bias, seed,
 * logprobs, stream_options, ...) are dropped here by construction.
 */
export function toAnthropicRequest(
  call: ChatCall,
  defaults: Pick<ProviderDefaults, 'anthropicDefaultMaxTokens'>,
): AnthropicMessagesRequest {
  const body = call.body;
  if (typeof body.n === 'number' && body.n > 1) {
    // Anthropic returns one answer per call; silently answering once would break the client.
    throw invalid('n > 1 is not supported by Anthropic models', 'n');
  }
  // What OpenAI refuses is refused here too: dropped in translation, it changed the answer unseen.
  checkShapes(body);
  refuseLegacyFunctions(body, 'Anthropic');
  if (body.logprobs === true) {
    // Anthropic returns no log probabilities; an answer without the ones asked for would be silently wrong.
    throw invalid('logprobs are not available from Anthropic models', 'logprobs');
  }
  const jsonTool = jsonResponseToolOf(body);
  const { system, turns } = toTurns(body.messages);
  if (turns.length === 0) {
    // Anthropic needs at least one message; OpenAI answers a conversation of system text alone.
    if (system.length === 0) throw invalid('messages must hold at least one message with content', 'messages');
    turns.push({ role: 'user', content: system.splice(0).join('\n\n') });
  }
  const systemText = [...system, ...(jsonTool ? [] : responseFormatInstruction(body.response_format))].join('\n\n');

  const request: AnthropicMessagesRequest = {
    model: call.model,
    messages: turns,
    max_tokens: firstNumber(body.max_completion_tokens, body.max_tokens) ?? defaults.anthropicDefaultMaxTokens,
  };
  if (systemText) request.system = systemText;
  const stop = toStopSequences(body.stop);
  if (stop.length > 0) request.stop_sequences = stop;
  // OpenAI allows temperature up to 2, Anthropic up to 1: passed as sent, so an out-of-range
  // value gets Anthropic's own 400 rather than being silently clamped.
  if (typeof body.temperature === 'number') request.temperature = body.temperature;
  if (typeof body.top_p === 'number') request.top_p = body.top_p;
  if (typeof body.user === 'string' && body.user) request.metadata = { user_id: body.user };
  if (call.stream) request.stream = true;
  const tools = toTools(body.tools);
  if (jsonTool) {
    // The answer must be this tool's input: Anthropic then emits nothing else, and its schema holds.
    request.tools = [jsonTool];
    // Only this flag guarantees one call: a second would be a second JSON document.
    request.tool_choice = { type: 'tool', name: jsonTool.name, disable_parallel_tool_use: true };
  } else if (tools.length > 0) {
    request.tools = tools;
    const choice = toToolChoice(body.tool_choice, body.parallel_tool_calls);
    if (choice) request.tool_choice = choice;
  } else {
    // Without tools "auto" and "none" mean the same plain answer; a call the client requires
    // cannot be made, and answering without one would break it.
    const choice = toToolChoice(body.tool_choice, body.parallel_tool_calls);
    if (choice?.type === 'any' || choice?.type === 'tool') throw invalid('tool_choice requires a tool call, but no tools are given', 'tool_choice');
  }
  const thinking = toThinking(body, request.max_tokens);
  if (thinking) request.thinking = thinking;
  return request;
}

/** reasoning_effort → a thinking budget (Anthropic's least is 1,024 tokens). */
const THINKING_BUDGETS = { low: 1_024, medium: 2_048, high: 4_096 } as const;
const MIN_THINKING_BUDGET = 1_024;

/**
 * reasoning_effort becomes extended thinking. The budget counts within max_tokens (as OpenAI's
 * reasoning tokens count within max_completion_tokens), so it is cut to half of it at most (the
 * answer keeps the rest) and max_tokens is never raised past what the client (or its budget's
 * reservation) allowed. With
 * tools it is refused: Anthropic then requires each turn's thinking blocks to be sent back with
 * its tool calls, which OpenAI's message format cannot carry.
 */
function toThinking(body: Record<string, unknown>, maxTokens: number): AnthropicMessagesRequest['thinking'] | null {
  const effort = reasoningEffortOf(body);
  if (!isThinkingEffort(effort)) return null;
  const usesTools = (Array.isArray(body.tools) && body.tools.length > 0) || (Array.isArray(body.messages) && body.messages.some((m) => isRecord(m) && (m.role === 'tool' || Array.isArray(m.tool_calls))));
  if (usesTools) {
    throw invalid('reasoning_effort with tools is not available for Anthropic models through the OpenAI format (their thinking must be sent back with each tool call); use /api/providers/anthropic/v1/messages', 'reasoning_effort');
  }
  // At most half of max_tokens, so the answer keeps the other half.
  const budget = Math.min(THINKING_BUDGETS[effort], Math.floor(maxTokens / 2));
  if (budget < MIN_THINKING_BUDGET) {
    throw invalid(`reasoning_effort needs max_tokens of at least ${2 * MIN_THINKING_BUDGET} for Anthropic models (thinking counts within it, and the answer keeps half)`, 'max_tokens');
  }
  return { type: 'enabled', budget_tokens: budget };
}

// ---- Messages ----

interface Turn {
  role: 'user' | 'assistant';
  blocks: AnthropicRequestBlock[];
}

/** Splits system/developer text off and turns the rest into strictly alternating turns. */
function toTurns(messages: unknown): { system: string[]; turns: AnthropicMessage[] } {
  if (!Array.isArray(messages)) throw invalid('messages must be an array', 'messages');
  const system: string[] = [];
  const turns: Turn[] = [];
  messages.forEach((message: unknown, i) => {
    const param = `messages[${i}]`;
    if (!isRecord(message)) throw invalid(`${param} must be an object`, param);
    switch (message.role) {
      case 'system':
      case 'developer': {
        // Anthropic has no system role in `messages`: all system text goes to top-level `system`.
        const text = textOf(message.content, `${param}.content`);
        if (text) system.push(text);
        return;
      }
      case 'user':
        turns.push({ role: 'user', blocks: toUserBlocks(message.content, `${param}.content`) });
        return;
      case 'assistant':
        turns.push({ role: 'assistant', blocks: toAssistantBlocks(message, param) });
        return;
      case 'tool':
        // Tool results travel in a user turn on Anthropic.
        turns.push({ role: 'user', blocks: [toToolResult(message, param)] });
        return;
      default:
        throw invalid(`${param}.role ${JSON.stringify(message.role)} is not supported by Anthropic models`, `${param}.role`);
    }
  });
  return { system, turns: mergeTurns(turns).map(toMessage) };
}

/** Anthropic requires user and assistant turns to alternate, so neighbours of one role merge. */
function mergeTurns(turns: Turn[]): Turn[] {
  const merged: Turn[] = [];
  for (const turn of turns) {
    // Empty text is rejected by Anthropic; a turn left with nothing disappears.
    if (turn.blocks.length === 0) continue;
    const previous = merged[merged.length - 1];
    if (previous && previous.role === turn.role) previous.blocks.push(...turn.blocks);
    else merged.push({ role: turn.role, blocks: [...turn.blocks] });
  }
  for (const turn of merged) {
    // Anthropic wants tool_result blocks before any other content of the user turn.
    if (turn.role === 'user') {
      turn.blocks = [...turn.blocks.filter((b) => b.type === 'tool_result'), ...turn.blocks.filter((b) => b.type !== 'tool_result')];
    }
  }
  return merged;
}

function toMessage(turn: Turn): AnthropicMessage {
  const [only] = turn.blocks;
  const content = turn.blocks.length === 1 && only.type === 'text' ? only.text : turn.blocks;
  return { role: turn.role, content };
}

function toUserBlocks(content: unknown, param: string): Array<AnthropicTextBlock | AnthropicImageBlock> {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) throw invalid(`${param} must be a string or an array of content parts`, param);
  return content.flatMap((part: unknown, j) => toContentBlock(part, `${param}[${j}]`));
}

function toContentBlock(part: unknown, param: string): Array<AnthropicTextBlock | AnthropicImageBlock> {
  if (!isRecord(part)) throw invalid(`${param} must be an object`, param);
  if (part.type === 'text') {
    if (typeof part.text !== 'string') throw invalid(`${param}.text must be a string`, `${param}.text`);
    return part.text ? [{ type: 'text', text: part.text }] : [];
  }
  if (part.type === 'image_url') {
    const url = isRecord(part.image_url) ? part.image_url.url : undefined;
    if (typeof url !== 'string') throw invalid(`${param}.image_url.url must be a string`, `${param}.image_url.url`);
    return [toImageBlock(url, `${param}.image_url.url`)];
  }
  throw invalid(`${param}.type ${JSON.stringify(part.type)} is not supported by Anthropic models`, `${param}.type`);
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

/**
 * Data URLs become inline base64 images, typed by their bytes (Anthropic checks them against the
 * type, see imageTypeOf); http(s) URLs are fetched by Anthropic itself.
 */
function toImageBlock(url: string, param: string): AnthropicImageBlock {
  const data = DATA_URL.exec(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: imageTypeOf(data[2]) ?? data[1], data: data[2] } };
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw invalid(`${param} must be an http(s) URL or a base64 data URL`, param);
}

function toAssistantBlocks(message: Record<string, unknown>, param: string): AnthropicRequestBlock[] {
  const blocks: AnthropicRequestBlock[] = [];
  const text = message.content === null || message.content === undefined ? '' : textOf(message.content, `${param}.content`);
  if (text) blocks.push({ type: 'text', text });
  if (message.tool_calls !== undefined && message.tool_calls !== null && !Array.isArray(message.tool_calls)) {
    throw invalid(`${param}.tool_calls must be an array of tool calls`, `${param}.tool_calls`);
  }
  const calls: unknown[] = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  calls.forEach((toolCall: unknown, j) => {
    const callParam = `${param}.tool_calls[${j}]`;
    const fn = isRecord(toolCall) ? toolCall.function : undefined;
    if (!isRecord(toolCall) || typeof toolCall.id !== 'string' || !isRecord(fn) || typeof fn.name !== 'string') {
      throw invalid(`${callParam} must have an id and a function name`, callParam);
    }
    blocks.push({ type: 'tool_use', id: toToolUseId(toolCall.id), name: fn.name, input: parseArguments(fn.arguments, `${callParam}.function.arguments`) });
  });
  return blocks;
}

/** OpenAI carries tool arguments as JSON text; Anthropic wants the object itself. */
function parseArguments(raw: unknown, param: string): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    throw invalid(`${param} is not valid JSON`, param);
  }
  if (!isRecord(parsed)) throw invalid(`${param} must encode a JSON object`, param);
  return parsed;
}

function toToolResult(message: Record<string, unknown>, param: string): AnthropicRequestBlock {
  if (typeof message.tool_call_id !== 'string') throw invalid(`${param}.tool_call_id must be a string`, `${param}.tool_call_id`);
  const content = typeof message.content === 'string' ? message.content : toUserBlocks(message.content ?? '', `${param}.content`);
  return { type: 'tool_result', tool_use_id: toToolUseId(message.tool_call_id), content };
}

/**
 * Anthropic only accepts [a-zA-Z0-9_-] in tool ids, while ids from other providers may carry
 * more; the same mapping on both sides keeps tool_use and tool_result paired.
 */
function toToolUseId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/** The text of a string or text-part array (system, developer and assistant content). */
function textOf(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(`${param} must be a string or an array of text parts`, param);
  return content
    .map((part: unknown, j) => {
      if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
      // An assistant refusal replayed as history is still what the assistant said.
      if (isRecord(part) && part.type === 'refusal' && typeof part.refusal === 'string') return part.refusal;
      throw invalid(`${param}[${j}] must be a text part here`, `${param}[${j}]`);
    })
    .filter((text) => text !== '')
    .join('\n');
}

// ---- Sampling, tools, output format ----

/**
 * Anthropic refuses stop sequences of whitespace only ("\n"), which OpenAI takes. Leaving them
 * out would let the model run past where the client asked it to stop: a different answer, so
 * the client hears about it.
 */
function toStopSequences(stop: unknown): string[] {
  if (stop !== undefined && stop !== null && typeof stop !== 'string' && !(Array.isArray(stop) && stop.every((s) => typeof s === 'string'))) {
    throw invalid('stop must be a string or an array of strings', 'stop');
  }
  const list = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? (stop as string[]) : [];
  const sequences = list.filter((s) => s !== '');
  if (sequences.some((s) => s.trim() === '')) {
    throw invalid('Anthropic models do not accept stop sequences of white space only (such as "\\n"); send visible text, or leave stop out', 'stop');
  }
  return sequences;
}

function toTools(tools: unknown): AnthropicTool[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw invalid('tools must be an array of function tools', 'tools');
  return tools.map((tool: unknown, i) => {
    const fn = isRecord(tool) && tool.type === 'function' ? tool.function : undefined;
    if (!isRecord(fn) || typeof fn.name !== 'string') {
      throw invalid(`tools[${i}] must be a function tool with a name`, `tools[${i}]`);
    }
    // Anthropic requires a schema even for tools without parameters.
    const schema = isRecord(fn.parameters) ? fn.parameters : { type: 'object', properties: {} };
    const translated: AnthropicTool = { name: fn.name, input_schema: schema };
    if (typeof fn.description === 'string') translated.description = fn.description;
    return translated;
  });
}

function toToolChoice(choice: unknown, parallel: unknown): AnthropicToolChoice | null {
  let translated: AnthropicToolChoice | null;
  if (choice === undefined || choice === null) translated = null;
  else if (choice === 'auto') translated = { type: 'auto' };
  else if (choice === 'required') translated = { type: 'any' };
  else if (choice === 'none') translated = { type: 'none' };
  else if (isRecord(choice) && choice.type === 'function' && isRecord(choice.function) && typeof choice.function.name === 'string') {
    translated = { type: 'tool', name: choice.function.name };
  } else {
    throw invalid('tool_choice must be "auto", "required", "none" or a function choice', 'tool_choice');
  }
  if (parallel !== false) return translated;
  // Anthropic puts the parallel switch on tool_choice; "none" calls no tool, so it has none.
  if (translated === null) return { type: 'auto', disable_parallel_tool_use: true };
  return translated.type === 'none' ? translated : { ...translated, disable_parallel_tool_use: true };
}

const JSON_ONLY = 'Respond only with a single valid JSON object, with no text, explanation or Markdown code fences before or after it.';

/** The tool whose input is the answer, in JSON mode; its calls are turned back into `content`. */
export const JSON_RESPONSE_TOOL = 'json_response';

/**
 * Anthropic's Messages API has no `response_format`: JSON mode is enforced with a forced tool
 * whose input schema is the requested one (any object for json_object). Anthropic then answers
 * with that tool's input alone, valid against the schema, and the translators hand it to the
 * client as the message's `content`, as OpenAI does, so `chat.completions.parse` works. Not when
 * the client brings tools of its own (a forced tool would stop them being called), when the
 * schema is not an object (tool inputs are objects), or with extended thinking (which cannot be
 * combined with a forced tool): then the format is requested by a system instruction instead.
 */
export function jsonResponseToolOf(body: Record<string, unknown>): AnthropicTool | null {
  const format = body.response_format;
  if (!isRecord(format) || (format.type !== 'json_object' && format.type !== 'json_schema')) return null;
  if (Array.isArray(body.tools) && body.tools.length > 0) return null;
  if (isThinkingEffort(body.reasoning_effort)) return null;
  const schema = format.type === 'json_schema' && isRecord(format.json_schema) ? format.json_schema.schema : undefined;
  if (schema === undefined) return { name: JSON_RESPONSE_TOOL, description: 'Give the answer as this JSON object.', input_schema: { type: 'object' } };
  return isRecord(schema) && schema.type === 'object' ? { name: JSON_RESPONSE_TOOL, description: 'Give the answer as this JSON object.', input_schema: schema } : null;
}

/** The system instruction of JSON mode, where the forced tool cannot be used (see jsonResponseToolOf). */
function responseFormatInstruction(format: unknown): string[] {
  if (!isRecord(format)) return [];
  if (format.type === 'json_object') return [JSON_ONLY];
  if (format.type === 'json_schema') {
    const schema = isRecord(format.json_schema) ? format.json_schema.schema : undefined;
    return [schema === undefined ? JSON_ONLY : `${JSON_ONLY} The JSON must conform to this JSON Schema:\n${JSON.stringify(schema)}`];
  }
  return [];
}

// ---- Helpers ----

const RESPONSE_FORMAT_TYPES = new Set(['text', 'json_object', 'json_schema']);

/** The sampling and format fields the translation reads: of the types OpenAI takes, or a 400. */
function checkShapes(body: Record<string, unknown>): void {
  for (const field of ['temperature', 'top_p'] as const) {
    const value = body[field];
    if (value !== undefined && value !== null && typeof value !== 'number') throw invalid(`${field} must be a number`, field);
  }
  if (body.n !== undefined && body.n !== null && (typeof body.n !== 'number' || body.n < 1)) throw invalid('n must be a whole number of at least 1', 'n');
  const format = body.response_format;
  if (format !== undefined && format !== null && !(isRecord(format) && typeof format.type === 'string' && RESPONSE_FORMAT_TYPES.has(format.type))) {
    throw invalid('response_format must be an object whose type is "text", "json_object" or "json_schema"', 'response_format');
  }
}

function firstNumber(...values: unknown[]): number | null {
  for (const value of values) if (typeof value === 'number') return value;
  return null;
}

function invalid(message: string, param: string): GatewayError {
  return new GatewayError(GatewayErrorCode.InvalidRequest, message, param);
}
