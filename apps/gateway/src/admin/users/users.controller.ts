import { Body, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { UsersService } from '@tollgate/users';
import { AdminController, AdminResourceById } from '../common/admin-controller.decorator';
import { splitQueryList } from '../common/query-list';
import { CreateUserRequest, UpdateUserRequest } from './user.request';
import { UserResponse } from './user.response';

@AdminController('api/users', 'users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  // 200 as the reference answers (its clients check for it), not Nest's default 201.
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a user with its own limits' })
  @ApiOkResponse({ type: UserResponse })
  async create(@Body() body: CreateUserRequest): Promise<UserResponse> {
    return UserResponse.from(await this.users.create(body));
  }

  @Get()
  @ApiOperation({ summary: 'List users' })
  @ApiQuery({ name: 'userIds', required: false, type: [String], description: 'Client-defined user ids.' })
  @ApiQuery({ name: 'tags', required: false, type: [String], description: 'Users with any of these tags.' })
  @ApiQuery({ name: 'keyIds', required: false, type: [String], description: 'Users associated with any of these keys.' })
  @ApiQuery({ name: 'offset', required: false, type: Number, description: 'Pagination offset.' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: 'Pagination limit.' })
  @ApiOkResponse({ type: [UserResponse] })
  async list(
    @Query('userIds') userIds?: string | string[],
    @Query('tags') tags?: string | string[],
    @Query('keyIds') keyIds?: string | string[],
    @Query('offset') offset?: string,
    @Query('limit') limit?: string,
  ): Promise<UserResponse[]> {
    const users = await this.users.list({
      userIds: splitQueryList(userIds),
      tags: splitQueryList(tags),
      keyIds: splitQueryList(keyIds),
      offset: parseCount('offset', offset, 0),
      limit: parseCount('limit', limit, 1),
    });
    return users.map(UserResponse.from);
  }

  @Patch()
  @ApiOperation({ summary: 'Update the users matching userId and/or tags' })
  @ApiQuery({ name: 'userId', required: false, description: 'Client-defined user id.' })
  @ApiQuery({ name: 'tags', required: false, type: [String], description: 'Users with any of these tags.' })
  @ApiOkResponse({ type: [UserResponse] })
  async updateMatching(
    @Body() body: UpdateUserRequest,
    @Query('userId') userId?: string,
    @Query('tags') tags?: string | string[],
  ): Promise<UserResponse[]> {
    return (await this.users.updateMatching({ userId, tags: splitQueryList(tags) }, body)).map(UserResponse.from);
  }

  @Patch(':id')
  @AdminResourceById('id', 'user')
  @ApiOperation({ summary: 'Update a user by id' })
  @ApiOkResponse({ type: UserResponse })
  async update(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateUserRequest): Promise<UserResponse> {
    return UserResponse.from(await this.users.update(id, body));
  }
}

function parseCount(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  // Bounded: a larger number is not exact in JavaScript, and overflows Postgres's bigint.
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, `${name} must be an integer from ${min} to ${Number.MAX_SAFE_INTEGER}`, name);
  }
  return parsed;
}
