import { applyDecorators } from '@nestjs/common';
import { IsDefined, ValidateIf } from 'class-validator';

/**
 * The field may be left out, but not sent as null. class-validator's IsOptional skips every
 * check for null as well as for undefined, so a null would pass validation and reach a NOT NULL
 * column (a 500) or a service that reads it as a value. Fields that null clears (limits, a ttl,
 * a policy) keep IsOptional and say `nullable` in their schema.
 */
export function IsOmittable(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_object, value) => value !== undefined),
    IsDefined({ message: '$property must not be null: leave it out to keep its current value' }),
  );
}
