import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { toUnixSeconds } from '@tollgate/common';
import { EventEntity } from '@tollgate/reporting';

/** One proxied request, with the documented snake_case field names. */
export class EventResponse {
  @ApiProperty({ description: 'Unique identifier of the event: the request id (also sent as x-request-id).' }) id: string;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Creation time (unix seconds).' }) created_at: number;
  @ApiProperty({ type: [String], description: 'Tags of the key.' }) tags: string[];
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Key id associated with the request.' }) key_id: string | null;
  @ApiPropertyOptional({ type: Number, description: 'Cost in USD; null when the model has no known price (see price_known).', nullable: true })
  cost_in_usd: number | null;
  @ApiProperty({ description: 'False when the model had no price: the request was not silently free.' }) price_known: boolean;
  @ApiProperty({ description: 'Model used.' }) model: string;
  @ApiProperty({ description: 'Provider.' }) provider: string;
  @ApiProperty({ type: 'integer', format: 'int32', description: 'HTTP status returned to the client.' }) status: number;
  @ApiProperty({ type: 'integer', format: 'int32', description: 'Prompt token count.' }) prompt_token_count: number;
  @ApiProperty({ type: 'integer', format: 'int32', description: 'Completion token count.' }) completion_token_count: number;
  @ApiProperty({ description: 'True when tokens were counted by the gateway because the provider reported none.' })
  token_count_estimated: boolean;
  @ApiProperty({ type: 'integer', format: 'int32', description: 'Latency in milliseconds, until the last byte.' }) latency_in_ms: number;
  @ApiProperty({ description: 'Path of the proxied request.' }) path: string;
  @ApiProperty({ description: 'HTTP method of the proxied request.' }) method: string;
  @ApiProperty({ description: 'Whether the response was streamed.' }) stream: boolean;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'x-custom-event-id sent with the request.' }) custom_id: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'User the request was attributed to.' }) user_id: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Error code, for failed requests.' }) error_code: string | null;
  @ApiPropertyOptional({ oneOf: [{ type: 'object' }, { type: 'string' }], nullable: true, description: 'Request body, when the key has shouldLogRequest: the JSON, or its text when it is not JSON.' }) request: unknown;
  @ApiPropertyOptional({ oneOf: [{ type: 'object' }, { type: 'string' }], nullable: true, description: 'Response body, when the key has shouldLogResponse: the JSON, or its text (a stream\'s events) when it is not JSON.' }) response: unknown;
  @ApiPropertyOptional({
    description:
      'Present (true) on a listed event whose request and response were left out: a page carries at most 16 MB of bodies, in order. GET /api/events/{id} returns the event with them.',
  })
  bodies_omitted?: true;
  @ApiPropertyOptional({
    type: [String],
    description:
      'Present on an event Postgres refused whole (text it cannot store, such as NUL, a value out of range, a constraint): the fields it was recorded without, dropped or cut (custom_id, user_id, tags, model, error_code, request, response, key_id, setting_id; provider, path, method lose their NULs). Its cost counts as any other.',
  })
  degraded_fields?: string[];

  static from(entity: EventEntity): EventResponse {
    return {
      id: entity.id,
      created_at: toUnixSeconds(entity.createdAt),
      tags: entity.tags,
      key_id: entity.keyId,
      cost_in_usd: entity.costInUsd,
      price_known: entity.priceKnown,
      model: entity.model,
      provider: entity.provider,
      status: entity.status,
      prompt_token_count: entity.promptTokenCount,
      completion_token_count: entity.completionTokenCount,
      token_count_estimated: entity.tokensEstimated,
      latency_in_ms: entity.latencyInMs,
      path: entity.path,
      method: entity.method,
      stream: entity.stream,
      custom_id: entity.customId,
      user_id: entity.userId,
      error_code: entity.errorCode,
      request: parseIfJson(entity.request),
      response: parseIfJson(entity.response),
      ...(entity.bodiesOmitted ? { bodies_omitted: true as const } : {}),
      ...(entity.degradedFields ? { degraded_fields: entity.degradedFields } : {}),
    };
  }
}

/** Bodies are kept as text; JSON ones are returned as JSON, anything else (SSE) as a string. */
function parseIfJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export class EventSearchResponse {
  @ApiProperty({ type: [EventResponse], description: 'The page of events.' }) events: EventResponse[];
  @ApiPropertyOptional({ type: 'integer', format: 'int64', description: 'All matching events, when returnCount was asked for.' }) count?: number;
}
