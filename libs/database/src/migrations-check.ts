import { DEPENDENCY_CHECK_TIMEOUT_MS, withTimeout } from '@tollgate/common';
import { DataSource } from 'typeorm';
import { migrationsAreApplied } from './migrate';

/** Readiness's answer on the schema: applied, some pending, or not known (Postgres down or slow). */
export type MigrationsStatus = 'ok' | 'pending' | 'down';

/**
 * The readiness check on the migrations, for every process that uses the database (the gateway
 * and the worker): a replica of a new version started before its migrations ran would fail every
 * query that needs them. Bounded like the other dependency checks; once the migrations are seen
 * applied the check is skipped, migrations never being un-applied.
 */
export class MigrationsCheck {
  private seenApplied = false;

  constructor(private readonly dataSource: DataSource) {}

  async status(): Promise<MigrationsStatus> {
    if (this.seenApplied) return 'ok';
    try {
      this.seenApplied = await withTimeout(migrationsAreApplied(this.dataSource), DEPENDENCY_CHECK_TIMEOUT_MS, 'the migrations check timed out');
      return this.seenApplied ? 'ok' : 'pending';
    } catch {
      return 'down';
    }
  }
}
