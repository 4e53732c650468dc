import { ValidateBy } from 'class-validator';

/**
 * At most `places` decimals: more would be rounded where the amount is kept, the tiniest
 * amounts to 0 (a free model; a cost limit that refuses everything, when an explicit 0 means no
 * limit). class-validator's maxDecimalPlaces throws on numbers JavaScript writes in exponent
 * notation (4e-11), so the check is done on the scaled value instead.
 */
export function HasAtMostDecimals(places: number, precision: string): PropertyDecorator {
  const scale = 10 ** places;
  return ValidateBy({
    name: 'hasAtMostDecimals',
    constraints: [places],
    validator: {
      validate: (value: unknown) => typeof value !== 'number' || Math.abs(value * scale - Math.round(value * scale)) < 1e-4,
      defaultMessage: () => `$property must have at most ${places} decimal places (${precision})`,
    },
  });
}
