import { createDataSource, createTestDatabase, runMigrationsLocked } from '@tollgate/database';
import { DataSource } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Against a real, migrated Postgres: what TypeORM's save() writes back. */
describe('spend on keys (AccessScopeColumns, shared with users)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let postgres: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase(TEST_DATABASE_URL, 'tollgate_spend_spec');
    postgres = createDataSource(database.url, [ApiKeyEntity]);
    await postgres.initialize();
    await runMigrationsLocked(postgres);
  }, 30_000);

  afterAll(async () => {
    await postgres?.destroy();
    await database?.drop();
  });

  it('an admin save of a key loaded before the worker added spend keeps that spend', async () => {
    const [key] = await postgres.query(`INSERT INTO api_keys (name, key_hash) VALUES ('k', 'hash-k') RETURNING key_id::text AS id`);
    const keys = postgres.getRepository(ApiKeyEntity);
    const loaded = await keys.findOneByOrFail({ keyId: key.id });
    // The worker settles a batch meanwhile.
    await postgres.query('UPDATE api_keys SET spent_usd = spent_usd + 5 WHERE key_id = $1', [key.id]);
    loaded.name = 'renamed';
    await keys.save(loaded);
    expect(await postgres.query('SELECT name, spent_usd::float AS spent FROM api_keys WHERE key_id = $1', [key.id])).toEqual([{ name: 'renamed', spent: 5 }]);
  });
});
