import { createDataSourceOptions, createTestDatabase } from '@tollgate/database';
import { DataSource, DataSourceOptions } from 'typeorm';
import { TcpRelay } from './support/tcp-relay';
import { TEST_DATABASE_URL } from './support/test-stack';

/**
 * Postgres blackholed (a partition, a failover to another address): a query on a connection that
 * no longer answers fails at the query timeout. That connection must not go back into the pool:
 * pg kept it, still waiting for its answer, and every later query handed it failed the same way
 * once Postgres was reachable again, until the kernel gave up on the socket (about 15 minutes).
 * The worker retried one event on it every 35 s, recording nothing.
 */
describe('the Postgres pool after a query timeout (e2e, real Postgres behind a relay)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let relay: TcpRelay;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase(TEST_DATABASE_URL);
    const url = new URL(database.url);
    const started = await TcpRelay.start(Number(url.port || 5432));
    relay = started.relay;
    url.port = String(started.port);
    const options = createDataSourceOptions(url.toString());
    // The production options, with one connection (the one that timed out would be the one
    // handed out again) and a query timeout short enough for a test.
    dataSource = new DataSource({ ...options, extra: { ...(options.extra as Record<string, unknown>), max: 1, query_timeout: 300 } } as DataSourceOptions);
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy().catch(() => undefined);
    relay?.cut();
    await database?.drop();
  });

  it('replaces a connection whose query timed out, so queries work again once Postgres answers', async () => {
    expect(await dataSource.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    relay.freeze();
    await expect(dataSource.query('SELECT 2 AS two')).rejects.toThrow('Query read timeout');
    relay.thaw();
    expect(await dataSource.query('SELECT 3 AS three')).toEqual([{ three: 3 }]);
  });
});
