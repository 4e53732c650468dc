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
});
