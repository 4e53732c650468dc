import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { TranslatedResponse } from '../provider-adapter';
import { toGeminiModelName } from './gemini-url';
import { GeminiBatchEmbedContentsRequest, GeminiBatchEmbedContentsResponse } from './gemini.types';
import { OpenAIEmbeddingList } from '../openai/openai-chat.types';

/** The most requests one batchEmbedContents call takes. */
export const MAX_GEMINI_EMBEDDING_INPUTS = 100;

/**
 * An OpenAI embeddings request → a batchEmbedContents body, one request per input string.
 * Gemini embeds text only, so token-array inputs are refused; `dimensions` maps to
 * outputDimensionality.
 */
export function toGeminiEmbeddingsRequest(body: Record<string, unknown>, model: string): GeminiBatchEmbedContentsRequest {
  const input = body.input;
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((text): text is string => typeof text === 'string')) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, 'Gemini embeds text only: input must be a string or an array of strings', 'input');
  }
  if (texts.length > MAX_GEMINI_EMBEDDING_INPUTS) {
    // Said here, by the gateway, rather than as Gemini's own 400 about its batch size.
    throw new GatewayError(GatewayErrorCode.InvalidRequest, `Gemini embeds at most ${MAX_GEMINI_EMBEDDING_INPUTS} inputs per request (got ${texts.length}): send them in smaller batches`, 'input');
  }
  const name = toGeminiModelName(model);
  const dimensions = typeof body.dimensions === 'number' ? { outputDimensionality: body.dimensions } : {};
  return { requests: texts.map((text) => ({ model: name, content: { parts: [{ text }] }, ...dimensions })) };
}

/**
 * batchEmbedContents answer → OpenAI's embedding list. Gemini reports no token counts for
 * embeddings, so `usage` is null (the gateway estimates) and the body's usage says 0.
 * `encoding_format: "base64"` (which the official OpenAI SDKs send by default) gets the
 * vectors as little-endian float32 bytes in base64, as OpenAI does.
 */
export function fromGeminiEmbeddingsResponse(raw: Buffer, model: string, encodingFormat: unknown = 'float'): TranslatedResponse {
  let response: GeminiBatchEmbedContentsResponse;
  try {
    response = JSON.parse(raw.toString('utf8')) as GeminiBatchEmbedContentsResponse;
  } catch {
    throw new GatewayError(GatewayErrorCode.UpstreamUnreachable, 'Gemini returned an embeddings response that is not JSON');
  }
  const prompt = response.usageMetadata?.promptTokenCount;
  const body: OpenAIEmbeddingList = {
    object: 'list',
    data: (response.embeddings ?? []).map((embedding, index) => {
      const values = embedding.values ?? [];
      return { object: 'embedding', index, embedding: encodingFormat === 'base64' ? toBase64Floats(values) : values };
    }),
    model,
    usage: { prompt_tokens: prompt ?? 0, total_tokens: prompt ?? 0 },
  };
  return { body, usage: typeof prompt === 'number' ? { promptTokens: prompt, completionTokens: 0 } : null, model: null, completionText: '' };
}

function toBase64Floats(values: number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}
