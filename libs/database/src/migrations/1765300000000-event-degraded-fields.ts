import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An event Postgres refuses whole (text it cannot store, a value out of a column's range, a
 * constraint) is recorded without the parts at fault rather than retried for a week and lost
 * with its spend: the column names the fields it was recorded without. NULL (every event
 * before, and nearly every one after) is an event recorded as it came. Nullable without a
 * default: adding it rewrites nothing.
 */
export class EventDegradedFields1765300000000 implements MigrationInterface {
  name = 'EventDegradedFields1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE events ADD COLUMN degraded_fields text[]');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE events DROP COLUMN degraded_fields');
  }
}
