import { Body, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CustomProvidersService } from '@tollgate/custom-providers';
import { AdminController, AdminResourceById } from '../common/admin-controller.decorator';
import { AdminProblemResponse } from '../common/admin-problem.response';
import { CreateCustomProviderRequest, UpdateCustomProviderRequest, toRouteConfig } from './custom-provider.request';
import { CustomProviderResponse } from './custom-provider.response';

const LINK =
  'Requests reach it at POST /api/custom/providers/:provider/<path> on the proxy port. Its credential is a provider setting ' +
  '{"provider":"custom","name":"<this provider>","setting":{"apiKey":"..."}} listed in the calling key\'s settingIds.';

@AdminController('api/custom/providers', 'custom providers')
export class CustomProvidersController {
  constructor(private readonly providers: CustomProvidersService) {}

  @Post()
  // 200 as the reference answers (its clients check for it), not Nest's default 201.
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a custom provider', description: LINK })
  @ApiOkResponse({ type: CustomProviderResponse, description: 'The custom provider created' })
  @ApiBadRequestResponse({ type: AdminProblemResponse, description: 'Invalid configuration, or a target_url the SSRF guard refuses' })
  @ApiConflictResponse({ type: AdminProblemResponse, description: 'A custom provider with this name exists' })
  async create(@Body() body: CreateCustomProviderRequest): Promise<CustomProviderResponse> {
    return CustomProviderResponse.from(
      await this.providers.create({ provider: body.provider, routeConfigs: body.route_configs.map(toRouteConfig), authenticationParam: body.authentication_param }),
    );
  }

  @Patch(':id')
  @AdminResourceById('id', 'custom provider')
  @ApiOperation({ summary: 'Update a custom provider', description: 'route_configs, when given, replaces all routes; the name cannot change.' })
  @ApiOkResponse({ type: CustomProviderResponse, description: 'The custom provider as updated' })
  @ApiBadRequestResponse({ type: AdminProblemResponse, description: 'Invalid configuration, or a target_url the SSRF guard refuses' })
  @ApiNotFoundResponse({ type: AdminProblemResponse, description: 'No custom provider with this id' })
  async update(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateCustomProviderRequest): Promise<CustomProviderResponse> {
    return CustomProviderResponse.from(
      await this.providers.update(id, { routeConfigs: body.route_configs?.map(toRouteConfig), authenticationParam: body.authentication_param }),
    );
  }

  @Get()
  @ApiOperation({ summary: 'List custom providers' })
  @ApiOkResponse({ type: [CustomProviderResponse], description: 'Every custom provider' })
  async list(): Promise<CustomProviderResponse[]> {
    return (await this.providers.list()).map(CustomProviderResponse.from);
  }
}
