import { ValidateBy, ValidationOptions } from 'class-validator';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * An id that clients send in headers or free-text fields (a user id): the proxy reads those
 * trimmed and without control characters, so an id stored with either could never be matched,
 * and the limits, revocation and allowed models set on it would never apply.
 */
export function IsClientId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isClientId',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && value === value.trim() && !CONTROL_CHARACTERS.test(value),
        defaultMessage: () => '$property must not start or end with white space, nor contain control characters (requests could never match it)',
      },
    },
    options,
  );
}
