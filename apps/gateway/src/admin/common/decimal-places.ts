import { ValidateBy } from 'class-validator';

/**
 * At most `places` decimals: more would be rounded where the amount is kept, the tiniest
 * amounts to 0 (a free model; a cost limit that refuses everything, when an explicit 0 means no
 * limit). Checked on the decimal form, as the column stores it: class-validator's
 * maxDecimalPlaces throws on numbers JavaScript writes in exponent notation (4e-11), and a
 * tolerance on the scaled value refused ordinary amounts (1024.1 × 1e9 is off by more than any
 * fixed tolerance in binary floating point).
 */
export function HasAtMostDecimals(places: number, precision: string): PropertyDecorator {
  return ValidateBy({
    name: 'hasAtMostDecimals',
    constraints: [places],
    validator: {
      // The closest number with that many decimals is the number itself (toFixed is exact below 1e21).
      validate: (value: unknown) => typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) >= 1e21 || Number(value.toFixed(places)) === value,
      defaultMessage: () => `$property must have at most ${places} decimal places (${precision})`,
    },
  });
}
