import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { toUnixSeconds } from '@tollgate/common';
import { ProviderSettingEntity } from '@tollgate/provider-settings';

/** A provider setting as the admin API shows it: never the credentials. */
export class ProviderSettingResponse {
  @ApiProperty({ description: 'Unique identifier.', format: 'uuid' })
  id: string;

  @ApiProperty({ description: 'Provider.', example: 'openai' })
  provider: string;

  @ApiProperty({ description: 'Provider setting name.' })
  name: string;

  @ApiProperty({ type: [String], description: 'Allowed models for this provider setting.' })
  allowedModels: string[];

  @ApiPropertyOptional({ description: 'Base URL, when one is set (not a secret).' })
  url?: string;

  @ApiPropertyOptional({ description: 'Azure resource name, when one is set (not a secret).' })
  resourceName?: string;

  @ApiPropertyOptional({ description: 'Azure API version, when one is set (not a secret); else AZURE_API_VERSION applies.' })
  apiVersion?: string;

  @ApiProperty({ type: 'integer', format: 'int64', description: 'Unix timestamp (seconds) of creation.', example: 1699933571 })
  createdAt: number;

  @ApiProperty({ type: 'integer', format: 'int64', description: 'Unix timestamp (seconds) of the last update.', example: 1699933571 })
  updatedAt: number;

  static from(entity: ProviderSettingEntity): ProviderSettingResponse {
    return {
      id: entity.id,
      provider: entity.provider,
      name: entity.name,
      allowedModels: entity.allowedModels,
      url: entity.options.url,
      resourceName: entity.options.resourceName,
      apiVersion: entity.options.apiVersion,
      createdAt: toUnixSeconds(entity.createdAt),
      updatedAt: toUnixSeconds(entity.updatedAt),
    };
  }
}
