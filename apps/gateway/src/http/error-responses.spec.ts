import { QueryFailedError } from 'typeorm';
import { GatewayErrorCode } from '@tollgate/common';
import { createDataSource } from '@tollgate/database';
import { DataSource } from 'typeorm';
import { toAdminProblem, toGatewayError } from './error-responses';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('toGatewayError on database errors', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await createDataSource(TEST_DATABASE_URL).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('maps a query cut short by the statement timeout to a 503 that says what to do, not a 500', async () => {
    const timedOut = await dataSource
      .transaction(async (manager) => {
        await manager.query('SET LOCAL statement_timeout = 20');
        await manager.query('SELECT pg_sleep(1)');
      })
      .then(() => null, (error: unknown) => error);
    const mapped = toGatewayError(timedOut);
    expect(mapped).toMatchObject({ code: GatewayErrorCode.QueryTimeout, status: 503, headers: { 'retry-after': '30' } });
    expect(toAdminProblem(mapped, '/api/reporting/events')).toEqual({
      status: 503,
      title: 'query took too long',
      type: '/errors/query-timeout',
      detail: expect.stringContaining('narrow the time range'),
      instance: '/api/reporting/events',
    });
  });

  it('leaves other database errors internal (500)', async () => {
    const failed = await dataSource.query('SELECT * FROM no_such_table').then(() => null, (error: unknown) => error);
    expect(toGatewayError(failed)).toMatchObject({ code: GatewayErrorCode.Internal, status: 500 });
  });

  it('maps a database that cannot be reached to a 503 database_unavailable, and nothing else', async () => {
    // A real refused connection: the pool of a DataSource pointed at a port nothing listens on.
    const closed = new URL(TEST_DATABASE_URL);
    closed.port = '9';
    const refused = await createDataSource(closed.toString())
      .initialize()
      .then(() => null, (error: unknown) => error);
    expect(toGatewayError(refused)).toMatchObject({ code: GatewayErrorCode.DatabaseUnavailable, status: 503, headers: { 'retry-after': '5' } });
    // A sidecar in front of Postgres that resets what it accepts, as the pool reports it; a
    // query whose connection broke, wrapped by TypeORM or not.
    const resetOnConnect = Object.assign(new Error('connect ECONNRESET 127.0.0.1:5432'), { errno: -104, code: 'ECONNRESET', syscall: 'connect' });
    const brokenQuery = new QueryFailedError('SELECT 1', [], Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' }));
    const brokenConnection = Object.assign(new Error('read ECONNRESET'), { errno: -104, code: 'ECONNRESET', syscall: 'read' });
    for (const error of [resetOnConnect, brokenQuery, brokenConnection]) expect(toGatewayError(error)).toMatchObject({ code: GatewayErrorCode.DatabaseUnavailable, status: 503 });
    const invalidInput = await dataSource.query("SELECT 'x'::int").then(() => null, (error: unknown) => error);
    const notDatabase = [
      invalidInput,
      // Node's body reader when a client leaves mid-upload: an ECONNRESET carrying a 400.
      Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 }),
      // Redis's and the upstreams' clients raise their own errors, not Node's socket error.
      Object.assign(new Error('Connection is closed.'), { code: undefined }),
      Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }),
      // A Postgres error that quotes input: it has a code.
      Object.assign(new Error('invalid input syntax: "Connection terminated"'), { code: '22P02' }),
    ];
    for (const error of notDatabase) expect(toGatewayError(error).code).not.toBe(GatewayErrorCode.DatabaseUnavailable);
  });
});
