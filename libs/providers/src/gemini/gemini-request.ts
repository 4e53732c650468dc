import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ChatCall } from '../provider-adapter';
import { toGeminiConversation } from './gemini-contents';
import { toGeminiSchema } from './gemini-schema';
import { GeminiFunctionDeclaration, GeminiGenerateContentRequest, GeminiGenerationConfig, GeminiTool, GeminiToolConfig } from './gemini.types';
import { OpenAIChatRequest, OpenAIResponseFormat, OpenAIToolChoice } from '../openai/openai-chat.types';
import { refuseLegacyFunctions } from '../openai/legacy-functions';
import { ReasoningEffort, reasoningEffortOf } from '../openai/reasoning-effort';

/**
 * An OpenAI chat request → a Gemini generateContent body (the same body streams). OpenAI
 * fields with no Gemini equivalent (logit_bias, user, metadata, ...) are dropped: Gemini rejects
 * unknown fields, so nothing can pass through. Fields whose absence would change the answer
 * (logprobs) are refused instead.
 */
export function toGeminiRequest(call: ChatCall): GeminiGenerateContentRequest {
  const body = call.body as unknown as OpenAIChatRequest;
  if (!Array.isArray(body.messages)) throw invalid('messages must be an array', 'messages');
  refuseLegacyFunctions(call.body, 'Gemini');
  const request: GeminiGenerateContentRequest = toGeminiConversation(body.messages, call.model);
  if ((body as { logprobs?: unknown }).logprobs === true) {
    // Not translated (yet): an answer without the log probabilities asked for would be silently wrong.
    throw invalid('logprobs are not available through the gateway for Gemini models', 'logprobs');
  }
  const generationConfig = toGenerationConfig(body, call.model);
  if (Object.keys(generationConfig).length > 0) request.generationConfig = generationConfig;
  const tools = toTools(body);
  if (tools) {
    request.tools = tools;
    const toolConfig = toToolConfig(body.tool_choice);
    if (toolConfig) request.toolConfig = toolConfig;
  } else if (toToolConfig(body.tool_choice)?.functionCallingConfig.mode === 'ANY') {
    // Without tools "auto" and "none" mean the same plain answer; a call the client requires
    // cannot be made, and answering in text would break it (OpenAI refuses this too).
    throw invalid('tool_choice requires a tool call, but no tools are given', 'tool_choice');
  }
  return request;
}

/** reasoning_effort → Gemini 2.5's thinking budget, as Google's own OpenAI-compatible endpoint maps it. */
const THINKING_BUDGETS: Record<ReasoningEffort, number> = { none: 0, minimal: 1_024, low: 1_024, medium: 8_192, high: 24_576 };

function toThinkingConfig(body: OpenAIChatRequest, model: string): GeminiGenerationConfig['thinkingConfig'] | null {
  const effort = reasoningEffortOf(body as unknown as Record<string, unknown>);
  if (effort === null) return null;
  // Gemini 3 thinks by level (its lowest is "low"; it cannot be turned off).
  if (/^(models\/)?gemini-3/i.test(model)) return { thinkingLevel: effort === 'medium' || effort === 'high' ? 'high' : 'low' };
  // Gemini 2.5 Pro cannot stop thinking: its least budget (128) is the closest to "none".
  const budget = THINKING_BUDGETS[effort];
  return { thinkingBudget: budget === 0 && /^(models\/)?gemini-2\.5-pro/i.test(model) ? 128 : budget };
}

function toGenerationConfig(body: OpenAIChatRequest, model: string): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  const thinking = toThinkingConfig(body, model);
  if (thinking) config.thinkingConfig = thinking;
  if (typeof body.temperature === 'number') config.temperature = body.temperature;
  if (typeof body.top_p === 'number') config.topP = body.top_p;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (typeof maxTokens === 'number') {
    // Gemini reads 0 as unset and generates up to the model's cap; OpenAI refuses it, and so do we.
    const field = body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
    if (maxTokens < 1) throw invalid(`Invalid '${field}': integer below minimum value. Expected a value >= 1, but got ${maxTokens} instead.`, field);
    config.maxOutputTokens = maxTokens;
  }
  if (typeof body.stop === 'string') config.stopSequences = [body.stop];
  else if (Array.isArray(body.stop) && body.stop.length > 0) config.stopSequences = body.stop;
  if (typeof body.n === 'number') config.candidateCount = body.n;
  if (typeof body.presence_penalty === 'number') config.presencePenalty = body.presence_penalty;
  if (typeof body.frequency_penalty === 'number') config.frequencyPenalty = body.frequency_penalty;
  if (typeof body.seed === 'number') config.seed = body.seed;
  Object.assign(config, toResponseFormat(body.response_format));
  return config;
}

/** json_schema goes through toGeminiSchema: best effort, see there for what is lost. */
function toResponseFormat(format: OpenAIResponseFormat | undefined): GeminiGenerationConfig {
  if (format?.type === 'json_object') return { responseMimeType: 'application/json' };
  if (format?.type === 'json_schema') {
    const schema = format.json_schema?.schema;
    return schema ? { responseMimeType: 'application/json', responseSchema: toGeminiSchema(schema, 'response_format.json_schema.schema') } : { responseMimeType: 'application/json' };
  }
  return {};
}

function toTools(body: OpenAIChatRequest): GeminiTool[] | null {
  if (!Array.isArray(body.tools) || body.tools.length === 0) return null;
  const declarations = body.tools.map((tool, i): GeminiFunctionDeclaration => {
    if (tool?.type !== 'function' || typeof tool.function?.name !== 'string') {
      throw invalid('Gemini supports function tools only', `tools[${i}]`);
    }
    const declaration: GeminiFunctionDeclaration = { name: tool.function.name };
    if (tool.function.description) declaration.description = tool.function.description;
    const parameters = tool.function.parameters ? toGeminiSchema(tool.function.parameters, `tools[${i}].function.parameters`) : null;
    // A function without arguments must omit parameters: Gemini rejects an empty object schema.
    if (parameters?.properties) declaration.parameters = parameters;
    return declaration;
  });
  return [{ functionDeclarations: declarations }];
}

function toToolConfig(choice: OpenAIToolChoice | undefined): GeminiToolConfig | null {
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (typeof choice === 'object' && choice?.type === 'function' && typeof choice.function?.name === 'string') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  if (choice === undefined || choice === null) return null;
  // Another shape (OpenAI's `allowed_tools`, a custom tool's choice) cannot be honoured: left out,
  // Gemini would be free to call any tool or none.
  throw invalid('tool_choice must be "auto", "required", "none" or a function choice', 'tool_choice');
}

function invalid(message: string, param: string): GatewayError {
  return new GatewayError(GatewayErrorCode.InvalidRequest, message, param);
}
