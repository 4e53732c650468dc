import { Body, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { UsersService } from '@tollgate/users';
import { AdminController, AdminResourceById } from '../common/admin-controller.decorator';
import { CreateUserRequest, ListUsersQuery, MatchUsersQuery, UpdateUserRequest } from './user.request';
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
  @ApiOperation({ summary: 'List users, filtered by user ids, tags or keys' })
  @ApiOkResponse({ type: [UserResponse] })
  async list(@Query() query: ListUsersQuery): Promise<UserResponse[]> {
    return (await this.users.list(query)).map(UserResponse.from);
  }

  @Patch()
  @ApiOperation({ summary: 'Update the users matching userId and/or tags' })
  @ApiOkResponse({ type: [UserResponse] })
  async updateMatching(@Body() body: UpdateUserRequest, @Query() query: MatchUsersQuery): Promise<UserResponse[]> {
    return (await this.users.updateMatching({ userId: query.userId, tags: query.tags }, body)).map(UserResponse.from);
  }

  @Patch(':id')
  @AdminResourceById('id', 'user')
  @ApiOperation({ summary: 'Update a user by id' })
  @ApiOkResponse({ type: UserResponse })
  async update(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateUserRequest): Promise<UserResponse> {
    return UserResponse.from(await this.users.update(id, body));
  }
}
