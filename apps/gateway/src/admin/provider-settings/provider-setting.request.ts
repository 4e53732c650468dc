import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROVIDER_IDS, ProviderId } from '@tollgate/provider-settings';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';

/** Provider credentials and connection options. Secret fields are encrypted and never returned. */
export class SettingDto {
  @ApiPropertyOptional({ description: 'Provider API key (secret: encrypted at rest, never returned).', example: 'sk-...' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  apiKey?: string;

  @ApiPropertyOptional({ description: 'Alias of apiKey, as spelled in the BricksLLM docs.', deprecated: true })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  apikey?: string;

  @ApiPropertyOptional({
    description: 'Base URL of the API including its version prefix, e.g. https://api.openai.com/v1 or an OpenAI-compatible server. Required for vllm.',
    example: 'https://api.openai.com/v1',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ description: 'Azure OpenAI resource name (azure only).' })
  @IsOptional()
  @IsString()
  resourceName?: string;

  @ApiPropertyOptional({ description: 'API version to send (azure only).', example: '2024-10-21' })
  @IsOptional()
  @IsString()
  apiVersion?: string;
}

export class CreateProviderSettingRequest {
  @ApiProperty({ enum: PROVIDER_IDS, description: 'The provider these credentials are for.', example: ProviderId.OpenAI })
  @IsIn(PROVIDER_IDS)
  provider: ProviderId;

  @ApiProperty({ type: SettingDto, description: 'Credentials and connection options for the provider.' })
  @IsObject()
  @ValidateNested()
  @Type(() => SettingDto)
  setting: SettingDto;

  @ApiPropertyOptional({ description: 'A name for this provider setting.', example: 'team-a-openai' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: [String], description: 'Models this setting may be used for; empty means any.', example: ['gpt-4o-mini'] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  allowedModels?: string[];
}

export class UpdateProviderSettingRequest {
  @ApiPropertyOptional({ type: SettingDto, description: 'Fields to change; merged into the stored setting.' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SettingDto)
  setting?: SettingDto;

  @ApiPropertyOptional({ description: 'A name for this provider setting.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: [String], description: 'Models this setting may be used for; empty means any.' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  allowedModels?: string[];
}
