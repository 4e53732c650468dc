import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { QUERY_SOURCE } from '../admin/common/report-fields';
import { isQueryFromJsonBody } from './json-body-on-get';

/**
 * class-validator for every handler argument, in two readings: a query string's values are all
 * text, so its fields convert ("1700000000", "a,b", "true": see report-fields); a JSON body's
 * fields must already have their types (a "1700000000" where a number is documented is a 400).
 * The transform options tell the field decorators which one they read (QUERY_SOURCE).
 */
@Injectable()
export class AdminValidationPipe implements PipeTransform {
  private readonly forQuery = new ValidationPipe({
    ...COMMON,
    transformOptions: { [QUERY_SOURCE]: true } as ValidationPipeOptions['transformOptions'],
    exceptionFactory: (errors) => validationError(errors, ' (in the query string)'),
  });
  private readonly forOthers = new ValidationPipe(COMMON);

  transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A GET's JSON body read as its query (json-body-on-get) is JSON all the same.
    const queryString = metadata.type === 'query' && !isQueryFromJsonBody(value);
    return (queryString ? this.forQuery : this.forOthers).transform(value, metadata);
  }
}

const COMMON: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => validationError(errors, ''),
};

/** `where` says where a missing field was looked for (a DELETE's JSON body is not its query). */
function validationError(errors: ValidationError[], where: string): GatewayError {
  return new GatewayError(GatewayErrorCode.InvalidRequest, flattenValidationErrors(errors, where).join('; '), errors[0]?.property ?? null);
}

function flattenValidationErrors(errors: ValidationError[], where: string, parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    // A field left out fails each of its checks on `undefined`, which read as if a wrong value
    // had been sent ("key must be shorter than or equal to 512 characters", "must not be less
    // than 0"): it is said once, for what it is.
    if (error.value === undefined && error.constraints && !error.children?.length) return [`${path} is required${where}`];
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? `${path}${message.slice(error.property.length)}` : `${path}: ${message}`,
    );
    return [...own, ...flattenValidationErrors(error.children ?? [], where, path)];
  });
}
