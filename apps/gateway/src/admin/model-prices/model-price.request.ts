import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ProviderId } from '@tollgate/provider-settings';
import { IsNotEmpty, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, NotEquals } from 'class-validator';
import { HasAtMostDecimals } from '../common/decimal-places';

/** Stored as numeric(20, 10); a million dollars per million tokens is far above any real price. */
const MAX_USD_PER_MILLION_TOKENS = 1_000_000;

/** A price in USD per million tokens, as the column (numeric(20, 10)) stores it. */
function UsdPerMillionTokens(): PropertyDecorator {
  return applyDecorators(
    IsNumber({ allowNaN: false, allowInfinity: false }),
    HasAtMostDecimals(10, 'the precision prices are stored with'),
    Min(0),
    Max(MAX_USD_PER_MILLION_TOKENS),
  );
}

/** Which model a price is for: DELETE /api/model-prices?provider=&model= needs both. */
export class ModelPriceKeyQuery {
  @ApiProperty({ description: 'Provider id.', example: 'openai' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  provider: string;

  @ApiProperty({ description: 'Model name exactly as the provider reports it.', example: 'ft:gpt-4o-mini:acme' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(300)
  model: string;
}

export class UpsertModelPriceRequest extends ModelPriceKeyQuery {
  // Events name providers in this form: a price under any other ("OpenAI ") would match none,
  // and budgeted keys would stay refused with model_not_priced. (DELETE takes any form, so a
  // price stored before this check can still be removed.)
  @ApiProperty({ description: "Provider id as events name it: a built-in provider's (openai, azure, anthropic, gemini, vllm, deepinfra) or a custom provider's name.", example: 'openai' })
  @IsString()
  @Matches(/^[a-z0-9](?:[a-z0-9._-]{0,62})$/, { message: "provider must be a provider id as events name it: lower case a-z, 0-9, '.', '_' or '-' (openai, anthropic, a custom provider's name)" })
  @NotEquals(ProviderId.Custom, { message: "provider must be the custom provider's own name, as its events name it, not 'custom'" })
  declare provider: string;

  @ApiProperty({ description: 'USD per million input (prompt) tokens.', example: 0.3, minimum: 0, maximum: MAX_USD_PER_MILLION_TOKENS })
  @UsdPerMillionTokens()
  inputUsdPerMillionTokens: number;

  @ApiProperty({ description: 'USD per million output (completion) tokens.', example: 1.2, minimum: 0, maximum: MAX_USD_PER_MILLION_TOKENS })
  @UsdPerMillionTokens()
  outputUsdPerMillionTokens: number;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: 'USD per million prompt tokens read from the provider\'s cache (OpenAI cached input, Anthropic cache reads, Gemini cached content). Left out or null: the input price.',
    example: 0.15,
    minimum: 0,
    maximum: MAX_USD_PER_MILLION_TOKENS,
  })
  @IsOptional()
  @UsdPerMillionTokens()
  cacheReadUsdPerMillionTokens?: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: 'USD per million prompt tokens written to the provider\'s cache (Anthropic cache writes). Left out or null: the input price.',
    example: 3.75,
    minimum: 0,
    maximum: MAX_USD_PER_MILLION_TOKENS,
  })
  @IsOptional()
  @UsdPerMillionTokens()
  cacheWriteUsdPerMillionTokens?: number | null;
}

export class ModelPriceResponse extends UpsertModelPriceRequest {
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Last update (unix seconds).' })
  updatedAt: number;
}
