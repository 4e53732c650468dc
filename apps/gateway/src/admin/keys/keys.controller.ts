import { Body, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { KeysService } from '@tollgate/keys';
import { AdminController } from '../common/admin-controller.decorator';
import { splitQueryList } from '../common/query-list';
import { CreateKeyRequest, SearchKeysRequest, UpdateKeyRequest } from './key.request';
import { KeyResponse, KeySearchResponse } from './key.response';

@AdminController('api', 'keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Put('key-management/keys')
  @ApiOperation({ summary: 'Create a key' })
  @ApiOkResponse({ type: KeyResponse })
  async create(@Body() body: CreateKeyRequest): Promise<KeyResponse> {
    return KeyResponse.from(await this.keys.create(body));
  }

  @Get('key-management/keys')
  @ApiOperation({ summary: 'List keys by tag, tags, provider or key ids' })
  @ApiQuery({ name: 'tag', required: false, description: 'Keys with this tag.' })
  @ApiQuery({ name: 'tags', required: false, type: [String], description: 'Keys with any of these tags.' })
  @ApiQuery({ name: 'provider', required: false, description: 'Keys with a setting of this provider.' })
  @ApiQuery({ name: 'keyIds', required: false, type: [String], description: 'These key ids.' })
  @ApiOkResponse({ type: [KeyResponse] })
  async list(
    @Query('tag') tag?: string,
    @Query('tags') tags?: string | string[],
    @Query('provider') provider?: string,
    @Query('keyIds') keyIds?: string | string[],
  ): Promise<KeyResponse[]> {
    const allTags = [...(tag ? [tag] : []), ...splitQueryList(tags)];
    const keys = await this.keys.list({
      tags: allTags.length > 0 ? allTags : undefined,
      keyIds: keyIds === undefined ? undefined : splitQueryList(keyIds),
      provider,
    });
    return keys.map(KeyResponse.from);
  }

  @Patch('key-management/keys/:keyId')
  @ApiOperation({ summary: 'Update a key (revoke, limits, settings)' })
  @ApiOkResponse({ type: KeyResponse })
  async update(@Param('keyId', new ParseUUIDPipe()) keyId: string, @Body() body: UpdateKeyRequest): Promise<KeyResponse> {
    return KeyResponse.from(await this.keys.update(keyId, body));
  }

  @Post('v2/key-management/keys')
  @HttpCode(200)
  @ApiOperation({ summary: 'Search keys with filters, pagination and order' })
  @ApiOkResponse({ type: KeySearchResponse })
  async search(@Body() body: SearchKeysRequest): Promise<KeySearchResponse> {
    const { keys, count } = await this.keys.search(body);
    return { keys: keys.map(KeyResponse.from), ...(count !== undefined ? { count } : {}) };
  }
}
