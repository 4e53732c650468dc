export { UserEntity } from './user.entity';
export { CreateUserInput, UserFieldsInput, UserFilter, UsersService } from './users.service';
export { UsersModule } from './users.module';
