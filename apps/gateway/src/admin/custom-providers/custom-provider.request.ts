import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RouteConfig } from '@tollgate/custom-providers';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsOmittable } from '../common/optional';

const LOCATION_HELP =
  'A GJSON path (as in BricksLLM): dot-separated fields, array indexes (`messages.0.content`), `#` for every element (`messages.#.content`); escape a literal dot as `\\.`. Queries, wildcards and modifiers are not supported.';

/** One route of a custom provider (field names as in the BricksLLM API). */
export class RouteConfigRequest {
  @ApiProperty({
    description: 'Path below /api/custom/providers/:provider on the proxy port, starting with "/"; unique within the provider. Matched exactly (query ignored).',
    example: '/chat/completions',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  path: string;

  @ApiProperty({
    description:
      'Where requests on this path are forwarded (POST, JSON body as received). Must be https to a public address, unless UPSTREAM_ALLOWED_HOSTS lists the host; the name is resolved and checked when saved and again on every connection. Redirects are not followed.',
    example: 'https://api.openai.com/v1/chat/completions',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  target_url: string;

  @ApiProperty({ description: `JSON field of the model in the request body. ${LOCATION_HELP}`, example: 'model' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  model_location: string;

  @ApiProperty({ description: `JSON field(s) of the prompt in the request body, for token counting. ${LOCATION_HELP}`, example: 'messages.#.content' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  request_prompt_location: string;

  @ApiProperty({ description: `JSON field(s) of the completion in the response body, for token counting. ${LOCATION_HELP}`, example: 'choices.#.message.content' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  response_completion_location: string;

  @ApiPropertyOptional({
    description: `JSON field of the request's stream flag (a boolean); empty when the route never streams. A streamed answer (text/event-stream) is relayed event by event. ${LOCATION_HELP}`,
    example: 'stream',
  })
  @IsOmittable()
  @IsString()
  @MaxLength(512)
  stream_location?: string;

  @ApiPropertyOptional({
    description: 'The `data:` payload that ends a stream; the gateway stops reading after relaying it. Empty: the stream ends when the upstream closes it.',
    example: '[DONE]',
  })
  @IsOmittable()
  @IsString()
  @MaxLength(256)
  stream_end_word?: string;

  @ApiPropertyOptional({
    description: `JSON field(s) of the completion text in each stream event's data, for token counting. Required when stream_location is set. ${LOCATION_HELP}`,
    example: 'choices.#.delta.content',
  })
  @IsOmittable()
  @IsString()
  @MaxLength(512)
  stream_response_completion_location?: string;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'How many stream events without data (comments, keep-alives, blank data) may arrive in a row before the gateway cuts the stream with an error event; 0 means no limit.',
    example: 10,
    default: 0,
  })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(100_000)
  stream_max_empty_messages?: number;
}

export class CreateCustomProviderRequest {
  @ApiProperty({
    description:
      'Unique name of the custom provider: 1-63 characters of a-z, 0-9, ".", "_", "-" (lower-cased), not a built-in provider. It is the :provider segment of the proxy path and the `provider` of its events. Its credential is a provider setting with provider "custom" and this name.',
    example: 'bricks',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(63)
  provider: string;

  @ApiProperty({ type: [RouteConfigRequest], description: 'Route configurations for the custom provider (at least one).' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  // ValidateNested alone lets a list through in place of an object ([[]]).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => RouteConfigRequest)
  route_configs: RouteConfigRequest[];

  @ApiPropertyOptional({
    description:
      'Name of the request header that carries the credential (the setting\'s apiKey), e.g. "x-api-key" or "apikey"; lower-cased. Empty or absent: "Authorization: Bearer <apiKey>". The credential is never put in the URL.',
    example: 'x-api-key',
  })
  @IsOmittable()
  @IsString()
  @MaxLength(128)
  authentication_param?: string;
}

export class UpdateCustomProviderRequest {
  @ApiPropertyOptional({ type: [RouteConfigRequest], description: 'Replaces all route configurations of the provider.' })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  // ValidateNested alone lets a list through in place of an object ([[]]).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => RouteConfigRequest)
  route_configs?: RouteConfigRequest[];

  @ApiPropertyOptional({ description: 'Header that carries the credential; an empty string restores "Authorization: Bearer".', example: 'x-api-key' })
  @IsOmittable()
  @IsString()
  @MaxLength(128)
  authentication_param?: string;
}

export function toRouteConfig(request: RouteConfigRequest): RouteConfig {
  return {
    path: request.path,
    targetUrl: request.target_url,
    modelLocation: request.model_location,
    requestPromptLocation: request.request_prompt_location,
    responseCompletionLocation: request.response_completion_location,
    streamLocation: request.stream_location ?? '',
    streamEndWord: request.stream_end_word ?? '',
    streamResponseCompletionLocation: request.stream_response_completion_location ?? '',
    streamMaxEmptyMessages: request.stream_max_empty_messages ?? 0,
  };
}
