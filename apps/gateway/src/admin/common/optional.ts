import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsDefined, IsOptional, ValidateIf } from 'class-validator';

/**
 * The field may be left out, but not sent as null. class-validator's IsOptional skips every
 * check for null as well as for undefined, so a null would pass validation and reach a NOT NULL
 * column (a 500) or a service that reads it as a value. Fields that null clears (limits, a ttl,
 * a policy) keep IsOptional and say `nullable` in their schema.
 *
 * `nullIsAbsent`, for lists: null means "not given", as BricksLLM's Go clients send an unset
 * (nil) slice. The field is then left as it is.
 */
export function IsOmittable(options: { nullIsAbsent?: boolean } = {}): PropertyDecorator {
  if (options.nullIsAbsent) {
    return applyDecorators(
      Transform(({ value }: { value: unknown }) => (value === null ? undefined : value)),
      IsOptional(),
    );
  }
  return applyDecorators(
    ValidateIf((_object, value) => value !== undefined),
    IsDefined({ message: '$property must not be null: leave it out to keep its current value' }),
  );
}
