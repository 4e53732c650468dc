import { Body, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ProviderSettingsService } from '@tollgate/provider-settings';
import { AdminController, AdminResourceById } from '../common/admin-controller.decorator';
import { CreateProviderSettingRequest, ListProviderSettingsQuery, SettingDto, UpdateProviderSettingRequest } from './provider-setting.request';
import { ProviderSettingResponse } from './provider-setting.response';

@AdminController('api/provider-settings', 'provider settings')
export class ProviderSettingsController {
  constructor(private readonly settings: ProviderSettingsService) {}

  @Post()
  // 200 as the reference answers (its clients check for it), not Nest's default 201.
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a provider setting (credentials are encrypted at rest)' })
  @ApiOkResponse({ type: ProviderSettingResponse, description: 'The setting created, without its credentials' })
  async create(@Body() body: CreateProviderSettingRequest): Promise<ProviderSettingResponse> {
    return ProviderSettingResponse.from(
      await this.settings.create({ ...body, setting: sentFields(body.setting) }),
    );
  }

  /** The reference's quick start creates a setting with PUT: the same operation as POST. */
  @Put()
  @ApiOperation({ summary: 'Create a provider setting (as POST; the method of the reference\'s quick start)' })
  @ApiOkResponse({ type: ProviderSettingResponse, description: 'The setting created, without its credentials' })
  createWithPut(@Body() body: CreateProviderSettingRequest): Promise<ProviderSettingResponse> {
    return this.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List provider settings' })
  @ApiOkResponse({ type: [ProviderSettingResponse], description: 'The settings, without their credentials' })
  async list(@Query() query: ListProviderSettingsQuery): Promise<ProviderSettingResponse[]> {
    return (await this.settings.list(query.ids)).map(ProviderSettingResponse.from);
  }

  @Patch(':id')
  @AdminResourceById('id', 'provider setting')
  @ApiOperation({ summary: 'Update a provider setting' })
  @ApiOkResponse({ type: ProviderSettingResponse, description: 'The setting as updated, without its credentials' })
  async update(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: UpdateProviderSettingRequest,
  ): Promise<ProviderSettingResponse> {
    return ProviderSettingResponse.from(
      await this.settings.update(id, { ...body, setting: body.setting && sentFields(body.setting) }),
    );
  }
}

/** The setting's fields that were sent: values, and null for options (absent on create, removed on PATCH). */
function sentFields(setting: SettingDto): Record<string, string | null> {
  return Object.fromEntries(Object.entries(setting).filter(([, value]) => typeof value === 'string' || value === null)) as Record<string, string | null>;
}

