import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsNumber, IsString, Max, MaxLength, Min } from 'class-validator';

/** Stored as numeric(20, 10); a million dollars per million tokens is far above any real price. */
const MAX_USD_PER_MILLION_TOKENS = 1_000_000;

export class UpsertModelPriceRequest {
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

  @ApiProperty({ description: 'USD per million input (prompt) tokens.', example: 0.3, minimum: 0, maximum: MAX_USD_PER_MILLION_TOKENS })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_USD_PER_MILLION_TOKENS)
  inputUsdPerMillionTokens: number;

  @ApiProperty({ description: 'USD per million output (completion) tokens.', example: 1.2, minimum: 0, maximum: MAX_USD_PER_MILLION_TOKENS })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_USD_PER_MILLION_TOKENS)
  outputUsdPerMillionTokens: number;
}

export class ModelPriceResponse extends UpsertModelPriceRequest {
  @ApiProperty({ description: 'Last update (unix seconds).' })
  updatedAt: number;
}
