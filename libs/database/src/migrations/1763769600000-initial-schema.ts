import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1763769600000 implements MigrationInterface {
  name = 'InitialSchema1763769600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE provider_settings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL DEFAULT '',
        provider text NOT NULL,
        -- Non-secret connection options (base url, azure resource name, api version).
        options jsonb NOT NULL DEFAULT '{}'::jsonb,
        -- AES-256-GCM envelope of the secret fields (api keys); never leaves the server.
        credentials_ciphertext text NOT NULL,
        allowed_models text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE api_keys (
        key_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        tags text[] NOT NULL DEFAULT '{}',
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
        setting_ids uuid[] NOT NULL DEFAULT '{}',
        should_log_request boolean NOT NULL DEFAULT false,
        should_log_response boolean NOT NULL DEFAULT false,
        rotation_enabled boolean NOT NULL DEFAULT false,
        policy_id text,
        is_key_not_hashed boolean NOT NULL DEFAULT false,
        spent_usd numeric(20, 10) NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_tags_idx ON api_keys USING gin (tags)`);
    await queryRunner.query(`
      CREATE TABLE events (
        id text PRIMARY KEY,
        created_at timestamptz NOT NULL,
        tags text[] NOT NULL DEFAULT '{}',
        key_id uuid,
        setting_id uuid,
        provider text NOT NULL,
        model text NOT NULL DEFAULT '',
        status integer NOT NULL,
        prompt_token_count integer NOT NULL DEFAULT 0,
        completion_token_count integer NOT NULL DEFAULT 0,
        tokens_estimated boolean NOT NULL DEFAULT false,
        cost_in_usd numeric(20, 10),
        -- false when the model had no price: the event is flagged, never silently free.
        price_known boolean NOT NULL DEFAULT true,
        latency_in_ms integer NOT NULL,
        path text NOT NULL,
        method text NOT NULL,
        stream boolean NOT NULL DEFAULT false,
        custom_id text,
        user_id text,
        error_code text,
        request text,
        response text
      )`);
    await queryRunner.query(`CREATE INDEX events_key_id_created_at_idx ON events (key_id, created_at)`);
    await queryRunner.query(`CREATE INDEX events_created_at_idx ON events (created_at)`);
    await queryRunner.query(`CREATE INDEX events_custom_id_idx ON events (custom_id) WHERE custom_id IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE model_prices (
        provider text NOT NULL,
        model text NOT NULL,
        input_usd_per_million_tokens numeric(20, 10) NOT NULL,
        output_usd_per_million_tokens numeric(20, 10) NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, model)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE model_prices');
    await queryRunner.query('DROP TABLE events');
    await queryRunner.query('DROP TABLE api_keys');
    await queryRunner.query('DROP TABLE provider_settings');
  }
}
