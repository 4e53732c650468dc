import { Body, Delete, Get, HttpCode, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { GatewayError, GatewayErrorCode, toUnixSeconds } from '@tollgate/common';
import { ModelPriceEntity, ModelPricesService } from '@tollgate/reporting';
import { AdminController } from '../common/admin-controller.decorator';
import { AdminProblemResponse } from '../common/admin-problem.response';
import { ModelPriceKeyQuery, ModelPriceResponse, UpsertModelPriceRequest } from './model-price.request';

/** Price overrides, for models the bundled price table lacks or prices differently (fine-tunes, contracts). */
@AdminController('api/model-prices', 'model prices')
export class ModelPricesController {
  constructor(private readonly prices: ModelPricesService) {}

  @Get()
  @ApiOperation({ summary: 'List price overrides' })
  @ApiOkResponse({ type: [ModelPriceResponse], description: 'Every price override' })
  async list(): Promise<ModelPriceResponse[]> {
    return (await this.prices.list()).map(toResponse);
  }

  @Put()
  @ApiOperation({ summary: 'Set the price of a model (takes precedence over the bundled table)' })
  @ApiOkResponse({ type: ModelPriceResponse, description: 'The price override as stored' })
  async upsert(@Body() body: UpsertModelPriceRequest): Promise<ModelPriceResponse> {
    // A PUT sets the whole price: a cache rate left out is cleared, not kept.
    return toResponse(await this.prices.upsert({ ...body, cacheReadUsdPerMillionTokens: body.cacheReadUsdPerMillionTokens ?? null, cacheWriteUsdPerMillionTokens: body.cacheWriteUsdPerMillionTokens ?? null }));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a price override' })
  @ApiNoContentResponse({ description: 'The override is removed; the price table applies again' })
  @ApiNotFoundResponse({ type: AdminProblemResponse, description: 'No override for this provider and model' })
  async remove(@Query() query: ModelPriceKeyQuery): Promise<void> {
    if (!(await this.prices.remove(query.provider, query.model))) {
      throw new GatewayError(GatewayErrorCode.NotFound, 'no price override for that provider and model');
    }
  }
}

function toResponse(entity: ModelPriceEntity): ModelPriceResponse {
  return {
    provider: entity.provider,
    model: entity.model,
    inputUsdPerMillionTokens: entity.inputUsdPerMillionTokens,
    outputUsdPerMillionTokens: entity.outputUsdPerMillionTokens,
    cacheReadUsdPerMillionTokens: entity.cacheReadUsdPerMillionTokens,
    cacheWriteUsdPerMillionTokens: entity.cacheWriteUsdPerMillionTokens,
    updatedAt: toUnixSeconds(entity.updatedAt),
  };
}
