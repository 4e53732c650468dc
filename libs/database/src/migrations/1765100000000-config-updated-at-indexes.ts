import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The gateway's snapshot polls for keys, users and provider settings changed since its last read
 * (every CONFIG_POLL_INTERVAL_MS, on every replica): by index, not by reading each table whole.
 */
export class ConfigUpdatedAtIndexes1765100000000 implements MigrationInterface {
  name = 'ConfigUpdatedAtIndexes1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX IF NOT EXISTS api_keys_updated_at_idx ON api_keys (updated_at)');
    await queryRunner.query('CREATE INDEX IF NOT EXISTS users_updated_at_idx ON users (updated_at)');
    await queryRunner.query('CREATE INDEX IF NOT EXISTS provider_settings_updated_at_idx ON provider_settings (updated_at)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS api_keys_updated_at_idx, users_updated_at_idx, provider_settings_updated_at_idx');
  }
}
