import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keys were stored as an unsalted SHA-256, which a reader of the database can brute-force for
 * short keys; they are now an HMAC under a secret derived from ENCRYPTION_KEY (which this
 * migration does not have). Existing rows keep their SHA-256 and are marked so: the gateway finds
 * them by it and rewrites each to the HMAC the first time its key is used. The default stays
 * 'sha256', so a row written without the column (a replica of an earlier version during a
 * rolling upgrade) is read as what it is. Going down loses the keys created or upgraded since.
 */
export class KeyHashScheme1765200000000 implements MigrationInterface {
  name = 'KeyHashScheme1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE api_keys
        ADD COLUMN key_hash_scheme text NOT NULL DEFAULT 'sha256'
          CONSTRAINT api_keys_key_hash_scheme_check CHECK (key_hash_scheme IN ('sha256', 'hmac-sha256'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE api_keys DROP COLUMN key_hash_scheme');
  }
}
