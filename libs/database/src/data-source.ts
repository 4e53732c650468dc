import { DataSource, DataSourceOptions, EntitySchema, MixedList } from 'typeorm';
import { InitialSchema1763769600000 } from './migrations/1763769600000-initial-schema';
import { UsersAndLimits1763773200000 } from './migrations/1763773200000-users-and-limits';
import { CustomProviders1763780400000 } from './migrations/1763780400000-custom-providers';
import { ModelPriceCacheRates1765000000000 } from './migrations/1765000000000-model-price-cache-rates';
import { ConfigUpdatedAtIndexes1765100000000 } from './migrations/1765100000000-config-updated-at-indexes';
import { KeyHashScheme1765200000000 } from './migrations/1765200000000-key-hash-scheme';
import { EventDegradedFields1765300000000 } from './migrations/1765300000000-event-degraded-fields';
import { TimeoutClosingClient } from './timeout-closing-client';

/** Every migration, in order. New migrations are appended here. */
export const MIGRATIONS = [InitialSchema1763769600000, UsersAndLimits1763773200000, CustomProviders1763780400000, ModelPriceCacheRates1765000000000, ConfigUpdatedAtIndexes1765100000000, KeyHashScheme1765200000000, EventDegradedFields1765300000000];

// eslint-disable-next-line @typescript-eslint/ban-types
export type EntityList = MixedList<Function | string | EntitySchema>;

export function createDataSourceOptions(url: string, entities: EntityList = []): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    // Schema changes only ever come from migrations.
    synchronize: false,
    migrationsRun: false,
    // Failed queries are reported by our own error handling; TypeORM's logger would print parameters.
    logging: false,
    // A frozen Postgres must not hold a query (and the snapshot reloads queued behind it) forever,
    // nor leave a connection that timed out in the pool (see TimeoutClosingClient).
    extra: { max: 10, connectionTimeoutMillis: 5_000, statement_timeout: 30_000, query_timeout: 35_000, application_name: 'tollgate', Client: TimeoutClosingClient },
  };
}

export function createDataSource(url: string, entities: EntityList = []): DataSource {
  return new DataSource(createDataSourceOptions(url, entities));
}

/**
 * For migrations: no statement timeout. Waiting for another replica's migrations (the advisory
 * lock) and a migration's own work (an index on a large events table) may both take longer than
 * the 30 s that bounds the gateway's queries; cut short, every replica starting alongside a slow
 * migration would crash.
 */
export function createMigrationDataSource(url: string): DataSource {
  const options = createDataSourceOptions(url);
  return new DataSource({ ...options, extra: { ...(options.extra as Record<string, unknown>), max: 2, statement_timeout: 0, query_timeout: undefined } } as DataSourceOptions);
}
