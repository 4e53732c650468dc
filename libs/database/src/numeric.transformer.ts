import { ValueTransformer } from 'typeorm';

/** Postgres NUMERIC arrives as a string (to keep precision); money fields are used as numbers. */
export const numericTransformer: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
