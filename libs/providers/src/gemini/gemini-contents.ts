import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { thoughtSignatureOf } from './gemini-candidate';
import { toMediaPart } from './gemini-media';
import { GeminiContent, GeminiPart, GeminiRole } from './gemini.types';
import { OpenAIChatMessage, OpenAIContentPart, OpenAIToolCall } from '../openai/openai-chat.types';

export interface GeminiConversation {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
}

/**
 * Google's documented stand-in for a lost thoughtSignature: Gemini 3 then accepts a replayed
 * function call that has none (e.g. a history written by another client).
 */
const SKIP_SIGNATURE_CHECK = 'skip_thought_signature_validator';

/**
 * OpenAI messages → Gemini turns. Gemini has one system instruction, so system and developer
 * messages are hoisted into it wherever they appear. Tool results go back as a `user` turn
 * of functionResponse parts (the Gemini API accepts only "user" and "model" roles), and
 * consecutive turns of one role are merged, which also keeps parallel tool results together.
 */
export function toGeminiConversation(messages: OpenAIChatMessage[], model: string): GeminiConversation {
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  const toolNames = new Map<string, string>();
  const add = (role: GeminiRole, parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(message.content, at));
        break;
      case 'user':
        add('user', userParts(message.content, at));
        break;
      case 'assistant': {
        const calls = toolCallsOf(message, at);
        calls.forEach((call, j) => {
          if (typeof call?.function?.name !== 'string') throw invalid(`${at}.tool_calls[${j}] must have a function name`, `${at}.tool_calls[${j}]`);
          if (typeof call.id !== 'string') throw invalid(`${at}.tool_calls[${j}].id must be a string (the id its tool message answers)`, `${at}.tool_calls[${j}].id`);
          toolNames.set(call.id, call.function.name);
        });
        add('model', [...textParts(message.content, at), ...functionCallParts(calls, model, at)]);
        break;
      }
      case 'tool': {
        const name = toolNames.get(message.tool_call_id ?? '');
        if (!name) throw invalid(`${at}.tool_call_id does not match a tool call of an earlier assistant message`, `${at}.tool_call_id`);
        add('user', [{ functionResponse: { name, response: toFunctionResponse(message.content, at) } }]);
        break;
      }
      case 'function':
        if (!message.name) throw invalid(`${at}.name is required on function messages`, `${at}.name`);
        add('user', [{ functionResponse: { name: message.name, response: toFunctionResponse(message.content, at) } }]);
        break;
      default:
        throw invalid(`${at}.role ${JSON.stringify((message as { role: unknown }).role)} is not supported by Gemini`, `${at}.role`);
    }
  });
  if (contents.length === 0) {
    // Gemini needs contents; OpenAI answers a conversation of system text alone.
    if (system.length === 0) throw invalid('messages must hold at least one message with content', 'messages');
    return { contents: [{ role: 'user', parts: system }] };
  }
  return system.length > 0 ? { contents, systemInstruction: { parts: system } } : { contents };
}

/** An assistant message's tool calls: none, or an array (anything else is the client's mistake). */
function toolCallsOf(message: OpenAIChatMessage, at: string): OpenAIToolCall[] {
  const calls: unknown = message.tool_calls;
  if (calls === undefined || calls === null) return [];
  if (!Array.isArray(calls)) throw invalid(`${at}.tool_calls must be an array of tool calls`, `${at}.tool_calls`);
  return calls as OpenAIToolCall[];
}

function textParts(content: OpenAIChatMessage['content'], at: string): GeminiPart[] {
  return contentParts(content, at).map((part, j) => {
    if (part.type === 'text') return { text: textOf(part.text, `${at}.content[${j}].text`) };
    if (part.type === 'refusal') return { text: textOf(part.refusal, `${at}.content[${j}].refusal`) };
    throw invalid(`${at}.content parts of type ${part.type} are only supported on user messages`, `${at}.content`);
  });
}

function userParts(content: OpenAIChatMessage['content'], at: string): GeminiPart[] {
  return contentParts(content, at).map((part, j) => {
    const param = `${at}.content[${j}]`;
    switch (part.type) {
      case 'text':
        return { text: textOf(part.text, `${param}.text`) };
      case 'image_url':
        return toMediaPart(part.image_url?.url, param);
      case 'input_audio':
        if (typeof part.input_audio?.format !== 'string' || typeof part.input_audio.data !== 'string') {
          throw invalid('input_audio needs data and format', param);
        }
        return { inlineData: { mimeType: `audio/${part.input_audio.format}`, data: part.input_audio.data } };
      case 'file': {
        const data: unknown = part.file?.file_data;
        if (typeof data === 'string' && data.startsWith('data:')) return toMediaPart(data, param);
        throw invalid('Gemini needs files inline as data URLs (file_data); file ids are not supported', param);
      }
      default:
        throw invalid(`content parts of type ${(part as { type: unknown }).type} are not supported by Gemini`, param);
    }
  });
}

function textOf(text: unknown, param: string): string {
  if (typeof text !== 'string') throw invalid(`${param} must be a string`, param);
  return text;
}

function contentParts(content: OpenAIChatMessage['content'], at: string): OpenAIContentPart[] {
  if (content === undefined || content === null || content === '') return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (Array.isArray(content) && content.every((part) => part !== null && typeof part === 'object')) return content;
  throw invalid(`${at}.content must be a string or an array of content parts`, `${at}.content`);
}

function functionCallParts(calls: OpenAIToolCall[], model: string, at: string): GeminiPart[] {
  const parts: GeminiPart[] = calls.map((call, j) => {
    const part: GeminiPart = { functionCall: { name: call.function.name, args: parseArguments(call.function.arguments, `${at}.tool_calls[${j}].function.arguments`) } };
    const signature = thoughtSignatureOf(call.id);
    if (signature) part.thoughtSignature = signature;
    return part;
  });
  // Gemini 3 checks the signature of the first call of each step; older models ignore it.
  if (parts.length > 0 && /^(models\/)?gemini-3/.test(model) && !parts.some((part) => part.thoughtSignature)) {
    parts[0].thoughtSignature = SKIP_SIGNATURE_CHECK;
  }
  return parts;
}

function parseArguments(text: string, param: string): Record<string, unknown> {
  try {
    const args: unknown = JSON.parse(text === '' ? '{}' : text);
    if (args !== null && typeof args === 'object' && !Array.isArray(args)) return args as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw invalid('tool call arguments must be a JSON object', param);
}

/** Gemini wants an object: JSON objects go as they are, anything else under `content`. */
function toFunctionResponse(content: OpenAIChatMessage['content'], at: string): Record<string, unknown> {
  const text = contentParts(content, at)
    .map((part) => (part.type === 'text' ? part.text : ''))
    .join('');
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    return { content: parsed };
  } catch {
    return { content: text };
  }
}

function invalid(message: string, param: string): GatewayError {
  return new GatewayError(GatewayErrorCode.InvalidRequest, message, param);
}
