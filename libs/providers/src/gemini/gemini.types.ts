/**
 * The slice of the Gemini API (v1beta, generativelanguage.googleapis.com) that the adapter
 * reads or writes. Field names are the REST (camelCase) JSON names.
 */

export type GeminiRole = 'user' | 'model';

export interface GeminiFunctionCall {
  /** Set by some models; the Gemini API usually leaves it out. */
  id?: string;
  name: string;
  args?: Record<string, unknown>;
}

export interface GeminiFunctionResponse {
  name: string;
  /** Must be a JSON object (a protobuf Struct), never an array or a scalar. */
  response: Record<string, unknown>;
}

export interface GeminiPart {
  text?: string;
  /** True on thought-summary parts, which are not part of the answer. */
  thought?: boolean;
  /** Opaque reasoning state Gemini 3 wants echoed back next to the functionCall it came with. */
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
}

export interface GeminiContent {
  role: GeminiRole;
  parts: GeminiPart[];
}

/** Gemini's Schema: a subset of OpenAPI 3.0 (no additionalProperties, $ref, oneOf, ...). */
export interface GeminiSchema {
  type?: string;
  format?: string;
  title?: string;
  description?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, GeminiSchema>;
  required?: string[];
  items?: GeminiSchema;
  anyOf?: GeminiSchema[];
  [constraint: string]: unknown;
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: GeminiSchema;
}

export interface GeminiTool {
  functionDeclarations: GeminiFunctionDeclaration[];
}

export type GeminiFunctionCallingMode = 'AUTO' | 'ANY' | 'NONE';

export interface GeminiToolConfig {
  functionCallingConfig: { mode: GeminiFunctionCallingMode; allowedFunctionNames?: string[] };
}

export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  candidateCount?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  responseMimeType?: string;
  responseSchema?: GeminiSchema;
  /** Gemini 2.5: a token budget (0 turns thinking off where the model allows it); Gemini 3: a level. */
  thinkingConfig?: { thinkingBudget?: number; thinkingLevel?: 'low' | 'high' };
}

export interface GeminiGenerateContentRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  generationConfig?: GeminiGenerationConfig;
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
}

export interface GeminiCandidate {
  index?: number;
  content?: { role?: string; parts?: GeminiPart[] };
  /** STOP, MAX_TOKENS, SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, OTHER, ... */
  finishReason?: string;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  /** Thinking tokens, billed as output but not counted in candidatesTokenCount. */
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  totalTokenCount?: number;
  /** The prompt's tokens per modality (TEXT, IMAGE, AUDIO, VIDEO): audio is priced above text. */
  promptTokensDetails?: Array<{ modality?: string; tokenCount?: number }>;
}

/** A generateContent answer, and also each `alt=sse` event of streamGenerateContent. */
export interface GeminiGenerateContentResponse {
  candidates?: GeminiCandidate[];
  /** Set when the prompt itself was blocked; there are no candidates then. */
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

export interface GeminiEmbedContentRequest {
  /** "models/<id>", the same model as the URL's. */
  model: string;
  content: { parts: Array<{ text: string }> };
  outputDimensionality?: number;
}

export interface GeminiBatchEmbedContentsRequest {
  requests: GeminiEmbedContentRequest[];
}

export interface GeminiBatchEmbedContentsResponse {
  embeddings?: Array<{ values?: number[] }>;
  usageMetadata?: GeminiUsageMetadata;
}

/** google.rpc.Status as Google's JSON APIs send it. */
export interface GoogleError {
  code?: number;
  message?: string;
  /** The canonical code name: INVALID_ARGUMENT, PERMISSION_DENIED, RESOURCE_EXHAUSTED, ... */
  status?: string;
  details?: GoogleErrorDetail[];
}

export interface GoogleErrorDetail {
  '@type'?: string;
  /** ErrorInfo: e.g. API_KEY_INVALID. */
  reason?: string;
  /** RetryInfo: a duration such as "17s" or "1.5s". */
  retryDelay?: string;
  /** QuotaFailure: the quotas the request ran past (a 429 RESOURCE_EXHAUSTED). */
  violations?: Array<{ quotaMetric?: string; quotaId?: string } | null>;
}
