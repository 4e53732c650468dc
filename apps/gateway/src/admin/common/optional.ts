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

/**
 * "" or 0 means "not given", as it does in BricksLLM: its Go clients send every field they leave
 * unset as the type's zero value, and BricksLLM reads that as absent (no limit when creating, the
 * value kept when updating). Without this, such a client's every request is a 400, and a key it
 * copies from BricksLLM (where "no limit" reads back as 0) would be created with a $0 budget.
 * Applied before the field's own checks, so they never see the zero value.
 */
export function ZeroValueIsAbsent(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (value === '' || value === 0 ? undefined : value));
}

/**
 * 0 or "" means "no limit", as in BricksLLM: its create request has no way to say "unset" but the
 * zero value, and its update request sends `0` (with a unit of "") to remove a limit. Read as
 * null: nothing on create, the limit removed on update. Applied before the field's own checks.
 */
export function ZeroValueIsNull(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (value === '' || value === 0 ? null : value));
}
