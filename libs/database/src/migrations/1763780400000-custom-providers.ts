import { MigrationInterface, QueryRunner } from 'typeorm';

export class CustomProviders1763780400000 implements MigrationInterface {
  name = 'CustomProviders1763780400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE custom_providers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- URL-safe, lower case: the proxy path segment (/api/custom/providers/:provider/*) and the
        -- events' provider. A provider setting of provider "custom" with this name holds its key.
        provider text NOT NULL UNIQUE,
        -- [{path, targetUrl, modelLocation, ...}], validated (SSRF guard included) when saved.
        route_configs jsonb NOT NULL DEFAULT '[]'::jsonb,
        -- Header that carries the credential; NULL means "Authorization: Bearer".
        authentication_param text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE custom_providers');
  }
}
