import { createLogger } from '@tollgate/common';
import { createTestDatabase } from '@tollgate/database';
import { Client } from 'pg';
import { migrate } from '../src/bootstrap';
import { freePort } from './support/redis-server';
import { TcpRelay } from './support/tcp-relay';
import { TEST_DATABASE_URL } from './support/test-stack';

/** The start-up migration against a Postgres that is still starting, or misconfigured. */
describe('migrate (e2e, real Postgres)', () => {
  const lines: string[] = [];
  const logger = createLogger('info', 'migrate-spec', { write: (line: string) => void lines.push(line) });
  const postgresPort = Number(new URL(TEST_DATABASE_URL).port || 5432);

  it('waits for a Postgres that does not accept connections yet, then applies the migrations', async () => {
    const database = await createTestDatabase(TEST_DATABASE_URL);
    const port = await freePort();
    const throughRelay = new URL(database.url);
    throughRelay.port = String(port);
    let relay: TcpRelay | null = null;
    // Postgres "comes up" on that port 1.5 s after the migration starts.
    const opening = new Promise<void>((resolve) =>
      setTimeout(() => void TcpRelay.start(postgresPort, port).then((started) => resolve(void (relay = started.relay))), 1_500),
    );
    try {
      await migrate(throughRelay.toString(), logger);
      await opening;
      expect(lines.some((line) => line.includes('Postgres is not reachable yet'))).toBe(true);
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        const tables = await client.query("SELECT 1 FROM information_schema.tables WHERE table_name IN ('api_keys', 'events')");
        expect(tables.rowCount).toBe(2);
      } finally {
        await client.end();
      }
    } finally {
      await opening;
      (relay as TcpRelay | null)?.cut();
      await database.drop();
    }
  }, 20_000);

  it('fails at once on a database that does not exist: nothing to wait for', async () => {
    const missing = new URL(TEST_DATABASE_URL);
    missing.pathname = '/tollgate_no_such_database';
    const started = Date.now();
    await expect(migrate(missing.toString(), logger)).rejects.toMatchObject({ code: '3D000' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
