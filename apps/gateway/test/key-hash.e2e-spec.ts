import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { createLogger, loadEnv } from '@tollgate/common';
import { ConfigSnapshotService } from '@tollgate/config-cache';
import { MIGRATIONS, createDataSourceOptions } from '@tollgate/database';
import { KeysService } from '@tollgate/keys';
import { DataSource } from 'typeorm';
import { RunningGateway, startGateway } from '../src/bootstrap';
import { FakeOpenAI } from './support/fake-openai';
import { chat, waitForKey } from './support/proxy-client';
import { TcpRelay } from './support/tcp-relay';
import { TestStack, eventually, startTestStack } from './support/test-stack';

/** Keys as the previous version stored them: the SHA-256 of the plaintext, in hex. */
const sha256 = (plaintext: string): string => createHash('sha256').update(plaintext, 'utf8').digest('hex');

/**
 * The stored format, written out here on its own (HKDF-SHA256 of ENCRYPTION_KEY with no salt and
 * this label, then HMAC-SHA256): a database written by this version must stay readable by the next.
 */
const hmacUnder = (encryptionKeyHex: string, plaintext: string): string => {
  const secret = Buffer.from(hkdfSync('sha256', Buffer.from(encryptionKeyHex, 'hex'), Buffer.alloc(0), 'tollgate api-key-hash hmac-sha256 v1', 32));
  return createHmac('sha256', secret).update(plaintext, 'utf8').digest('hex');
};

// As short as an admin may choose (8 characters): what an unsalted SHA-256 does not protect.
const LEGACY_KEY = 'Lgcy-k3y';
const LEGACY_UNUSED_KEY = 'old-key-never-used';

interface KeyRow {
  key_id: string;
  key_hash: string;
  key_hash_scheme: string;
  updated_at: Date;
}

/**
 * Gateway keys are stored as an HMAC under a secret derived from ENCRYPTION_KEY; a database of the
 * previous version (keys as SHA-256) keeps working, each key rewritten on its first use.
 */
describe('gateway key hashes (e2e)', () => {
  let upstream: FakeOpenAI;
  let stack: TestStack;
  let settingId: string;
  let encryptionKey: string;
  const row = async (where: string, value: string): Promise<KeyRow | undefined> =>
    (await stack.sql<KeyRow>(`SELECT key_id::text, key_hash, key_hash_scheme, updated_at FROM api_keys WHERE ${where} = $1`, [value]))[0];

  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    stack = await startTestStack({}, {
      // The database as the previous version left it: its migrations only, and keys stored as SHA-256.
      prepareDatabase: async (url) => {
        const previous = MIGRATIONS.slice(0, MIGRATIONS.findIndex((migration) => migration.name === 'KeyHashScheme1765200000000'));
        const dataSource = new DataSource({ ...createDataSourceOptions(url), migrations: previous });
        await dataSource.initialize();
        try {
          await dataSource.runMigrations();
          await dataSource.query(`INSERT INTO api_keys (name, key_hash) VALUES ('legacy', $1), ('legacy unused', $2)`, [sha256(LEGACY_KEY), sha256(LEGACY_UNUSED_KEY)]);
        } finally {
          await dataSource.destroy();
        }
      },
    });
    encryptionKey = stack.replicaEnv.ENCRYPTION_KEY;
    settingId = (await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } })).body.id;
  });

  afterAll(async () => {
    await stack?.close();
    await upstream?.stop();
  });

  it('a key stored before (SHA-256) authenticates, and its first use rewrites its row to the HMAC, once', async () => {
    const before = (await row('name', 'legacy'))!;
    expect(before).toMatchObject({ key_hash: sha256(LEGACY_KEY), key_hash_scheme: 'sha256' });
    // An admin write on a key still stored the old way (its settings: keys made by hand had none).
    const patched = await stack.admin<Record<string, unknown>>('PATCH', `/api/key-management/keys/${before.key_id}`, { settingIds: [settingId] });
    expect(patched.status).toBe(200);
    expect(JSON.stringify(patched.body)).not.toContain(before.key_hash);
    const afterPatch = (await row('key_id', before.key_id))!;
    expect(afterPatch).toMatchObject({ key_hash: sha256(LEGACY_KEY), key_hash_scheme: 'sha256' });

    await eventually(async () => ((await chat(stack.proxyUrl, LEGACY_KEY)).status === 200 ? true : undefined), 3_000, 'the legacy key accepted');
    const upgraded = await eventually(async () => {
      const current = await row('key_id', before.key_id);
      return current?.key_hash_scheme === 'hmac-sha256' ? current : undefined;
    }, 3_000, 'the row upgraded');
    expect(upgraded.key_hash).toBe(hmacUnder(encryptionKey, LEGACY_KEY));
    // A change as any other: replicas that miss its announcement read it by updated_at.
    expect(upgraded.updated_at.getTime()).toBeGreaterThan(afterPatch.updated_at.getTime());
    expect(await stack.sql('SELECT 1 FROM api_keys WHERE key_hash = $1', [sha256(LEGACY_KEY)])).toEqual([]);

    // Found by its new hash from then on: no second write, however often it is used.
    for (let i = 0; i < 3; i += 1) expect((await chat(stack.proxyUrl, LEGACY_KEY)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await row('key_id', before.key_id))!.updated_at).toEqual(upgraded.updated_at);
    expect(stack.logs.filter((line) => line.includes('key hash upgraded') && line.includes(before.key_id))).toHaveLength(1);
    // A key no one presented keeps its old hash: only a use can compute the new one.
    expect(await row('name', 'legacy unused')).toMatchObject({ key_hash: sha256(LEGACY_UNUSED_KEY), key_hash_scheme: 'sha256' });
  });

  it('a key created now is stored as the HMAC under ENCRYPTION_KEY, not the SHA-256 of its plaintext, and no answer shows either', async () => {
    const key = 'tg-new1!x';
    const created = await stack.admin<{ keyId: string }>('PUT', '/api/key-management/keys', { name: 'new', key, settingIds: [settingId], isKeyNotHashed: true });
    expect(created.status).toBe(200);
    const stored = (await row('key_id', created.body.keyId))!;
    expect(stored.key_hash).not.toBe(sha256(key));
    expect(stored).toMatchObject({ key_hash: hmacUnder(encryptionKey, key), key_hash_scheme: 'hmac-sha256' });
    const listed = await stack.admin('GET', '/api/key-management/keys');
    const searched = await stack.admin('POST', '/api/v2/key-management/keys', { keyIds: [created.body.keyId] });
    for (const answer of [created.body, listed.body, searched.body]) {
      expect(JSON.stringify(answer)).not.toMatch(new RegExp(`${stored.key_hash}|${sha256(key)}|${key}`));
    }
    await waitForKey([stack.proxyUrl], key);
    expect((await chat(stack.proxyUrl, key)).status).toBe(200);
  });

  it('refuses a duplicate key value whichever scheme stores the existing one', async () => {
    const duplicateOfLegacy = await stack.admin<{ status: number; detail: string }>('PUT', '/api/key-management/keys', { name: 'dup', key: LEGACY_UNUSED_KEY, settingIds: [settingId] });
    expect(duplicateOfLegacy).toMatchObject({ status: 409, body: { status: 409, detail: 'a key with this value already exists' } });
    const key = 'tg-dup-hmac-1';
    expect((await stack.admin('PUT', '/api/key-management/keys', { name: 'first', key, settingIds: [settingId] })).status).toBe(200);
    const duplicateOfNew = await stack.admin('PUT', '/api/key-management/keys', { name: 'dup', key, settingIds: [settingId] });
    expect(duplicateOfNew).toMatchObject({ status: 409, body: { detail: 'a key with this value already exists' } });
    expect(await stack.sql("SELECT 1 FROM api_keys WHERE name = 'dup'")).toEqual([]);
  });

  it('a wrong key is a 401, and so is a stored hash presented as the key', async () => {
    const stored = (await row('name', 'legacy unused'))!;
    const upgraded = (await row('name', 'legacy'))!;
    for (const presented of ['wrong-key-1', stored.key_hash, upgraded.key_hash, sha256(LEGACY_KEY)]) {
      const response = await chat(stack.proxyUrl, presented);
      expect({ presented, status: response.status, code: response.body.error?.code }).toEqual({ presented, status: 401, code: 'invalid_api_key' });
    }
  });

  it('replicas upgrading one key at once: one write changes the row, the others match nothing', async () => {
    const key = 'written-by-an-older-replica';
    // As a replica of the previous version writes a key during a rolling upgrade: no scheme column.
    const [{ key_id: keyId }] = await stack.sql<{ key_id: string }>(`INSERT INTO api_keys (name, key_hash) VALUES ('older replica', $1) RETURNING key_id::text`, [sha256(key)]);
    const keys = stack.gatewayApp.get(KeysService);
    const upgrades = await Promise.all(Array.from({ length: 5 }, () => keys.upgradeLegacyHash(keyId, sha256(key), hmacUnder(encryptionKey, key))));
    expect(upgrades.filter(Boolean)).toHaveLength(1);
    expect(await row('key_id', keyId)).toMatchObject({ key_hash: hmacUnder(encryptionKey, key), key_hash_scheme: 'hmac-sha256' });
    expect(await keys.upgradeLegacyHash(keyId, sha256(key), hmacUnder(encryptionKey, key))).toBe(false);
  });

  it('a replica with another ENCRYPTION_KEY accepts a legacy key but leaves its row alone; a right one then upgrades it', async () => {
    const key = 'misconfigured-replica-key';
    const [{ key_id: keyId }] = await stack.sql<{ key_id: string }>(`INSERT INTO api_keys (name, key_hash) VALUES ('two replicas', $1) RETURNING key_id::text`, [sha256(key)]);
    // Announced to every replica by an admin write.
    expect((await stack.admin('PATCH', `/api/key-management/keys/${keyId}`, { settingIds: [settingId] })).status).toBe(200);
    let replica: RunningGateway | null = null;
    try {
      const env = loadEnv({ ...stack.replicaEnv, ENCRYPTION_KEY: randomBytes(32).toString('hex'), PROXY_PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', UPSTREAM_ALLOWED_HOSTS: '127.0.0.1' });
      replica = await startGateway(env, createLogger('silent', 'replica'), { shutdownHooks: false });
      const replicaUrl = `http://127.0.0.1:${replica.proxyPort}`;
      await waitForKey([replicaUrl], key);
      // It cannot read the key's setting, so it answers with an error, and must not rewrite the row.
      expect((await chat(replicaUrl, key)).status).not.toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await row('key_id', keyId)).toMatchObject({ key_hash: sha256(key), key_hash_scheme: 'sha256' });
    } finally {
      await replica?.close();
    }
    await waitForKey([stack.proxyUrl], key);
    expect((await chat(stack.proxyUrl, key)).status).toBe(200);
    await eventually(async () => ((await row('key_id', keyId))?.key_hash === hmacUnder(encryptionKey, key) ? true : undefined), 3_000, 'the row upgraded');
  });

  it('a replica that cannot reach Postgres serves a legacy key from its snapshot, and does not try the upgrade on every request', async () => {
    const key = 'used-while-postgres-is-down';
    const [{ key_id: keyId }] = await stack.sql<{ key_id: string }>(`INSERT INTO api_keys (name, key_hash, setting_ids) VALUES ('postgres down', $1, $2) RETURNING key_id::text`, [sha256(key), [settingId]]);
    const database = new URL(stack.databaseUrl);
    const { relay, port } = await TcpRelay.start(Number(database.port || 5432));
    database.port = String(port);
    let replica: RunningGateway | null = null;
    try {
      // A replica whose Postgres is behind the relay; nothing but the upgrade asks Postgres while the test runs.
      const env = loadEnv({
        ...stack.replicaEnv,
        DATABASE_URL: database.toString(),
        CONFIG_RESYNC_INTERVAL_MS: '3600000',
        CONFIG_FULL_RELOAD_INTERVAL_MS: '86400000',
        PROXY_PORT: '0',
        ADMIN_PORT: '0',
        HOST: '127.0.0.1',
        UPSTREAM_ALLOWED_HOSTS: '127.0.0.1',
      });
      replica = await startGateway(env, createLogger('silent', 'replica'), { shutdownHooks: false });
      const replicaUrl = `http://127.0.0.1:${replica.proxyPort}`;
      // Loaded at start, and not used yet (a use would upgrade it while Postgres answers).
      expect(replica.app.get(ConfigSnapshotService).getKeyById(keyId)).toMatchObject({ keyHashScheme: 'sha256' });
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      // Whatever the replica reads at start (a reload when its change subscription connects) is done.
      await pause(500);
      relay.resetAll();
      const atOutage = relay.accepted;
      // Long enough after each request for the upgrade it asked for to have failed.
      expect((await chat(replicaUrl, key)).status).toBe(200);
      await pause(150);
      const afterFirstUse = relay.accepted;
      expect(afterFirstUse - atOutage).toBe(1);
      for (let i = 0; i < 5; i += 1) {
        expect((await chat(replicaUrl, key)).status).toBe(200);
        await pause(150);
      }
      // Not a connection to Postgres per request: the failed upgrade waits before it is tried again.
      expect(relay.accepted - afterFirstUse).toBe(0);
      expect(await row('key_id', keyId)).toMatchObject({ key_hash: sha256(key), key_hash_scheme: 'sha256' });
    } finally {
      await replica?.close();
      relay.cut();
    }
  });
});
