import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsNumber, IsString, MaxLength, Min } from 'class-validator';

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

  @ApiProperty({ description: 'USD per million input (prompt) tokens.', example: 0.3, minimum: 0 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  inputUsdPerMillionTokens: number;

  @ApiProperty({ description: 'USD per million output (completion) tokens.', example: 1.2, minimum: 0 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  outputUsdPerMillionTokens: number;
}

export class ModelPriceResponse extends UpsertModelPriceRequest {
  @ApiProperty({ description: 'Last update (unix seconds).' })
  updatedAt: number;
}
