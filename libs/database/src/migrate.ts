import { DataSource } from 'typeorm';

/** Arbitrary but fixed: every Tollgate replica contends for the same advisory lock. */
const MIGRATION_LOCK_ID = 7_353_019_246;

/**
 * Applies pending migrations while holding a Postgres advisory lock, so replicas that start
 * together run them exactly once: the first takes the lock and migrates, the others wait,
 * then find nothing pending.
 */
export async function runMigrationsLocked(dataSource: DataSource, onWait: () => void = () => undefined): Promise<string[]> {
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    const [{ locked }] = (await lockRunner.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_ID])) as Array<{ locked: boolean }>;
    if (!locked) {
      onWait();
      await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lockRunner.release();
  }
}

/** True when every known migration has been applied. */
export async function migrationsAreApplied(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}
