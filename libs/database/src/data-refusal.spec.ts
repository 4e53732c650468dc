import { QueryFailedError } from 'typeorm';
import { dataRefusalOf } from './data-refusal';

/** A failed query as TypeORM reports it: the driver's error fields copied onto the QueryFailedError. */
const failed = (fields: Record<string, unknown>) => new QueryFailedError('INSERT INTO events ...', [], Object.assign(new Error(String(fields.message ?? 'refused')), fields));

describe('dataRefusalOf', () => {
  it.each([
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
    ['22003', 'numeric field overflow'],
    ['22P02', 'invalid input syntax for type uuid'],
    ['22008', 'timestamp out of range'],
    ['23502', 'null value in column "provider" violates not-null constraint'],
    ['23514', 'new row for relation "events" violates check constraint "events_custom_id_check"'],
    ['23505', 'duplicate key value violates unique constraint "events_custom_id_key"'],
  ])('is the refusal of the data for SQLSTATE %s', (code, message) => {
    expect(dataRefusalOf(failed({ code, message }))).toMatchObject({ code, message });
  });

  it.each([
    ['08006', 'connection failure'],
    ['40001', 'could not serialize access due to concurrent update'],
    ['40P01', 'deadlock detected'],
    ['53300', 'sorry, too many clients already'],
    ['57014', 'canceling statement due to statement timeout'],
    ['57P01', 'terminating connection due to administrator command'],
    ['42703', 'column "degraded_fields" of relation "events" does not exist'],
    ['P0001', 'raised by a trigger'],
  ])('is none for SQLSTATE %s, which a later attempt may pass', (code, message) => {
    expect(dataRefusalOf(failed({ code, message }))).toBeNull();
  });

  it('is none for what is not a failed query (Redis, a connection that never opened, a bug)', () => {
    expect(dataRefusalOf(Object.assign(new Error('numeric field overflow'), { code: '22003' }))).toBeNull();
    expect(dataRefusalOf(new Error('Connection terminated unexpectedly'))).toBeNull();
    expect(dataRefusalOf(failed({ message: 'no code' }))).toBeNull();
  });

  it('names the constraint and the column where Postgres does', () => {
    expect(dataRefusalOf(failed({ code: '23514', message: 'check', constraint: 'events_custom_id_check' }))).toEqual({ code: '23514', message: 'check', constraint: 'events_custom_id_check' });
    expect(dataRefusalOf(failed({ code: '23502', message: 'not null', column: 'provider' }))).toEqual({ code: '23502', message: 'not null', column: 'provider' });
  });
});
