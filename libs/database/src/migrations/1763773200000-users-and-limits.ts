import { MigrationInterface, QueryRunner } from 'typeorm';

export class UsersAndLimits1763773200000 implements MigrationInterface {
  name = 'UsersAndLimits1763773200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- The client's own identifier, sent as the OpenAI "user" field or x-user-id header.
        user_id text NOT NULL UNIQUE,
        name text NOT NULL,
        tags text[] NOT NULL DEFAULT '{}',
        key_ids uuid[] NOT NULL DEFAULT '{}',
        revoked boolean NOT NULL DEFAULT false,
        revoked_reason text,
        cost_limit_in_usd numeric(20, 10),
        cost_limit_in_usd_over_time numeric(20, 10),
        cost_limit_in_usd_unit text,
        rate_limit_over_time integer,
        rate_limit_unit text,
        ttl text,
        expires_at timestamptz,
        allowed_paths jsonb NOT NULL DEFAULT '[]'::jsonb,
        allowed_models text[] NOT NULL DEFAULT '{}',
        spent_usd numeric(20, 10) NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX users_tags_idx ON users USING gin (tags)`);
    await queryRunner.query(`CREATE INDEX events_user_id_created_at_idx ON events (user_id, created_at) WHERE user_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX events_user_id_created_at_idx');
    await queryRunner.query('DROP TABLE users');
  }
}
