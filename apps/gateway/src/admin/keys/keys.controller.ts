import { Body, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { KeysService } from '@tollgate/keys';
import { AdminController, AdminResourceById } from '../common/admin-controller.decorator';
import { AdminProblemResponse } from '../common/admin-problem.response';
import { CreateKeyRequest, ListKeysQuery, SearchKeysRequest, UpdateKeyRequest } from './key.request';
import { KeyResponse, KeySearchResponse } from './key.response';

@AdminController('api', 'keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Put('key-management/keys')
  @ApiOperation({ summary: 'Create a key' })
  @ApiOkResponse({ type: KeyResponse, description: 'The key created (its value is never returned)' })
  @ApiConflictResponse({ type: AdminProblemResponse, description: 'A key with this value already exists' })
  async create(@Body() body: CreateKeyRequest): Promise<KeyResponse> {
    return KeyResponse.from(await this.keys.create(body));
  }

  @Get('key-management/keys')
  @ApiOperation({ summary: 'List keys by tag, tags, provider or key ids (no filter: every key)' })
  @ApiOkResponse({ type: [KeyResponse], description: 'The keys matching every filter given' })
  async list(@Query() query: ListKeysQuery): Promise<KeyResponse[]> {
    const tags = [...(query.tag !== undefined ? [query.tag] : []), ...(query.tags ?? [])];
    const keys = await this.keys.list({ tags: tags.length > 0 ? tags : undefined, keyIds: query.keyIds, provider: query.provider });
    return keys.map(KeyResponse.from);
  }

  @Patch('key-management/keys/:keyId')
  @AdminResourceById('keyId', 'key')
  @ApiOperation({ summary: 'Update a key (revoke, limits, settings)' })
  @ApiOkResponse({ type: KeyResponse, description: 'The key as updated' })
  async update(@Param('keyId', new ParseUUIDPipe()) keyId: string, @Body() body: UpdateKeyRequest): Promise<KeyResponse> {
    return KeyResponse.from(await this.keys.update(keyId, body));
  }

  @Post('v2/key-management/keys')
  @HttpCode(200)
  @ApiOperation({ summary: 'Search keys with filters, pagination and order' })
  @ApiOkResponse({ type: KeySearchResponse, description: 'One page of matching keys, with their count when returnCount is set' })
  async search(@Body() body: SearchKeysRequest): Promise<KeySearchResponse> {
    const { keys, count } = await this.keys.search(body);
    return { keys: keys.map(KeyResponse.from), ...(count !== undefined ? { count } : {}) };
  }
}
