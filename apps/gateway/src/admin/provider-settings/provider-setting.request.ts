import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROVIDER_IDS, ProviderId } from '@tollgate/provider-settings';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { IsOmittable, ZeroValueIsAbsent } from '../common/optional';
import { StringList } from '../common/report-fields';

/** Provider credentials and connection options. Secret fields are encrypted and never returned. */
export class SettingDto {
  @ApiPropertyOptional({ description: 'Provider API key (secret: encrypted at rest, never returned).', example: 'sk-...' })
  @IsOmittable()
  @IsString()
  @IsNotEmpty()
  apiKey?: string;

  @ApiPropertyOptional({ description: 'Alias of apiKey, as spelled in the BricksLLM docs.', deprecated: true })
  @IsOmittable()
  @IsString()
  @IsNotEmpty()
  apikey?: string;

  // The connection options (not the secrets) take null: on PATCH it removes the option (back to
  // the provider's default URL, from a url to a resourceName); on create it is not given.
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description:
      'Base URL of the API including its version prefix, e.g. https://api.openai.com/v1 or an OpenAI-compatible server. Required for vllm. null on PATCH removes it (the provider default applies).',
    example: 'https://api.openai.com/v1',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Azure OpenAI resource name (azure only). null on PATCH removes it.' })
  @IsOptional()
  @IsString()
  resourceName?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'API version to send (azure only); AZURE_API_VERSION when absent. null on PATCH removes it.', example: '2024-10-21' })
  @IsOptional()
  @IsString()
  // Sent as the api-version query of every call: one Azure does not know fails them all.
  @Matches(/^\d{4}-\d{2}-\d{2}(-preview)?$/, { message: 'setting.apiVersion must be an API version such as 2024-10-21 or 2025-04-01-preview' })
  apiVersion?: string | null;
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

  @ApiPropertyOptional({ description: "A name for this provider setting; required for provider custom (the custom provider's name).", example: 'team-a-openai' })
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: [String], description: 'Models this setting may be used for; empty means any.', example: ['gpt-4o-mini'] })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  @IsString({ each: true })
  @IsNotEmpty({ each: true, message: 'allowedModels must not hold empty strings' })
  allowedModels?: string[];
}

export class UpdateProviderSettingRequest {
  @ApiPropertyOptional({ type: SettingDto, description: 'Fields to change; merged into the stored setting.' })
  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => SettingDto)
  setting?: SettingDto;

  @ApiPropertyOptional({ description: 'A name for this provider setting ("" keeps it).' })
  @ZeroValueIsAbsent()
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: [String], description: 'Models this setting may be used for; empty means any.' })
  @IsOmittable({ nullIsAbsent: true })
  @IsArray()
  @IsString({ each: true })
  @IsNotEmpty({ each: true, message: 'allowedModels must not hold empty strings' })
  allowedModels?: string[];
}

/** GET /api/provider-settings: its query, checked (a misspelt filter is a 400, not every setting). */
export class ListProviderSettingsQuery {
  @ApiPropertyOptional({ type: [String], description: 'Only these setting ids (repeated or comma-separated).' })
  @StringList()
  ids?: string[];
}
