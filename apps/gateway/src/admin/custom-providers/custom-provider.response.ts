import { ApiProperty } from '@nestjs/swagger';
import { toUnixSeconds } from '@tollgate/common';
import { CustomProviderEntity, RouteConfig } from '@tollgate/custom-providers';

export class RouteConfigResponse {
  @ApiProperty({ description: 'Path below /api/custom/providers/:provider.', example: '/chat/completions' })
  path: string;

  @ApiProperty({ description: 'Proxy destination URL for the route.', example: 'https://api.openai.com/v1/chat/completions' })
  target_url: string;

  @ApiProperty({ description: 'JSON field of the model in the request.', example: 'model' })
  model_location: string;

  @ApiProperty({ description: 'JSON field(s) of the prompt in the request.', example: 'messages.#.content' })
  request_prompt_location: string;

  @ApiProperty({ description: 'JSON field(s) of the completion in the response.', example: 'choices.#.message.content' })
  response_completion_location: string;

  @ApiProperty({ description: 'JSON field of the stream flag in the request ("" when the route never streams).', example: 'stream' })
  stream_location: string;

  @ApiProperty({ description: 'End word of the stream ("" when the stream ends with the connection).', example: '[DONE]' })
  stream_end_word: string;

  @ApiProperty({ description: 'JSON field(s) of the completion in each stream event.', example: 'choices.#.delta.content' })
  stream_response_completion_location: string;

  @ApiProperty({ type: 'integer', format: 'int32', description: 'Data-less stream events tolerated in a row (0: no limit).', example: 10 })
  stream_max_empty_messages: number;

  static from(config: RouteConfig): RouteConfigResponse {
    return {
      path: config.path,
      target_url: config.targetUrl,
      model_location: config.modelLocation,
      request_prompt_location: config.requestPromptLocation,
      response_completion_location: config.responseCompletionLocation,
      stream_location: config.streamLocation,
      stream_end_word: config.streamEndWord,
      stream_response_completion_location: config.streamResponseCompletionLocation,
      stream_max_empty_messages: config.streamMaxEmptyMessages,
    };
  }
}

export class CustomProviderResponse {
  @ApiProperty({ description: 'Unique identifier of the custom provider (used by PATCH).', format: 'uuid' })
  id: string;

  @ApiProperty({ type: 'integer', format: 'int64', description: 'Unix timestamp (seconds) of creation.', example: 1699933571 })
  created_at: number;

  @ApiProperty({ type: 'integer', format: 'int64', description: 'Unix timestamp (seconds) of the last update.', example: 1699933571 })
  updated_at: number;

  @ApiProperty({ description: 'Unique name: the :provider of /api/custom/providers/:provider/* and the provider of its events.', example: 'bricks' })
  provider: string;

  @ApiProperty({ type: [RouteConfigResponse], description: 'Route configurations of the custom provider.' })
  route_configs: RouteConfigResponse[];

  @ApiProperty({ description: 'Header that carries the credential ("" means "Authorization: Bearer").', example: 'x-api-key' })
  authentication_param: string;

  static from(entity: CustomProviderEntity): CustomProviderResponse {
    return {
      id: entity.id,
      created_at: toUnixSeconds(entity.createdAt),
      updated_at: toUnixSeconds(entity.updatedAt),
      provider: entity.provider,
      route_configs: entity.routeConfigs.map(RouteConfigResponse.from),
      authentication_param: entity.authenticationParam ?? '',
    };
  }
}
