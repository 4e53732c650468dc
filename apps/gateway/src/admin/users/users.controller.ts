import { Body, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { UsersService } from '@tollgate/users';
import { AdminController, AdminResourceById } from '../common/admin-controller.decorator';
import { AdminProblemResponse } from '../common/admin-problem.response';
import { CreateUserRequest, ListUsersQuery, MatchUsersQuery, UpdateUserRequest } from './user.request';
import { UserResponse } from './user.response';

@AdminController('api/users', 'users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  // 200 as the reference answers (its clients check for it), not Nest's default 201.
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a user with its own limits' })
  @ApiOkResponse({ type: UserResponse, description: 'The user created' })
  @ApiConflictResponse({ type: AdminProblemResponse, description: 'A user with this userId exists' })
  async create(@Body() body: CreateUserRequest): Promise<UserResponse> {
    return UserResponse.from(await this.users.create(body));
  }

  @Get()
  @ApiOperation({ summary: 'List users, filtered by user ids, tags or keys' })
  @ApiOkResponse({ type: [UserResponse], description: 'The users matching every filter given' })
  async list(@Query() query: ListUsersQuery): Promise<UserResponse[]> {
    return (await this.users.list(query)).map(UserResponse.from);
  }

  @Patch()
  @ApiOperation({ summary: 'Update the users matching userId and/or tags' })
  @ApiNotFoundResponse({ type: AdminProblemResponse, description: 'No user matches' })
  @ApiOkResponse({
    type: UserResponse,
    description: 'The user updated; when several match (by tags), all are updated and the first created is returned, as BricksLLM answers. GET /api/users with the same filter lists them all.',
  })
  async updateMatching(@Body() body: UpdateUserRequest, @Query() query: MatchUsersQuery): Promise<UserResponse> {
    // The reference answers with one User object; clients decode it as one.
    const [first] = await this.users.updateMatching({ userId: query.userId, tags: query.tags }, body);
    return UserResponse.from(first);
  }

  @Patch(':id')
  @AdminResourceById('id', 'user')
  @ApiOperation({ summary: 'Update a user by id' })
  @ApiOkResponse({ type: UserResponse, description: 'The user as updated' })
  async update(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateUserRequest): Promise<UserResponse> {
    return UserResponse.from(await this.users.update(id, body));
  }
}
