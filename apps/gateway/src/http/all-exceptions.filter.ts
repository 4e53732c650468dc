import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import { LOGGER, Logger } from '@tollgate/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './send-error';

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), exception, this.logger);
  }
}
