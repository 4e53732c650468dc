import { ApiProperty } from '@nestjs/swagger';

/** The admin API's error body (the reference's problem JSON), as Swagger documents it. */
export class AdminProblemResponse {
  @ApiProperty({ type: 'integer', format: 'int32', description: 'HTTP status code.', example: 400 }) status: number;
  @ApiProperty({ description: 'Short, fixed summary of the error kind.', example: 'bad request' }) title: string;
  @ApiProperty({ description: 'Error kind, as a path.', example: '/errors/invalid-request-error' }) type: string;
  @ApiProperty({ description: 'What was wrong, for a person to read.', example: 'costLimitInUsd must not be less than 0' }) detail: string;
  @ApiProperty({ description: 'Path of the request that failed.', example: '/api/key-management/keys' }) instance: string;
}
