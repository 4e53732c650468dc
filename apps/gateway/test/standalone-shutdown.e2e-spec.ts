import { randomBytes } from 'node:crypto';
import { createLogger, loadEnv } from '@tollgate/common';
import { createTestDatabase } from '@tollgate/database';
import OpenAI from 'openai';
import { Client } from 'pg';
import { startGateway } from '../src/bootstrap';
import { FakeOpenAI } from './support/fake-openai';
import { TEST_DATABASE_URL, adminClient, eventually } from './support/test-stack';

/**
 * Standalone mode records events in-process, through the same database connection the admin API
 * uses. The events still buffered when the gateway stops must be recorded before that
 * connection closes (Nest closes global modules' resources in an order of its own).
 */
describe('standalone mode shutdown (e2e)', () => {
  it('records the events still buffered when the gateway stops', async () => {
    const upstream = new FakeOpenAI();
    await upstream.start();
    const database = await createTestDatabase(TEST_DATABASE_URL);
    const logs: string[] = [];
    try {
      const adminKey = `admin-${randomBytes(16).toString('hex')}`;
      const loaded = loadEnv({
        ADMIN_API_KEY: adminKey,
        ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        PROXY_PORT: '0',
        ADMIN_PORT: '0',
        HOST: '127.0.0.1',
        UPSTREAM_ALLOWED_HOSTS: '127.0.0.1',
        // Nothing is delivered on the timer during the test: the event waits for the shutdown.
        EVENT_FLUSH_INTERVAL_MS: '60000',
        LOG_LEVEL: 'info',
      });
      expect(loaded.mode).toBe('standalone');
      // As main.ts does with the embedded Postgres; here the test database stands in for it.
      const env = { ...loaded, databaseUrl: database.url };
      const gateway = await startGateway(env, createLogger('info', 'gateway', { write: (line: string) => void logs.push(line) }), { shutdownHooks: false });
      let closed = false;
      try {
        const admin = adminClient(`http://127.0.0.1:${gateway.adminPort}`, adminKey);
        const setting = await admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } });
        expect((await admin('PUT', '/api/key-management/keys', { name: 'k', key: 'tg-standalone-shutdown', settingIds: [setting.body.id] })).status).toBe(200);
        const client = new OpenAI({ apiKey: 'tg-standalone-shutdown', baseURL: `http://127.0.0.1:${gateway.proxyPort}/v1`, maxRetries: 0 });
        const answer = await eventually(
          () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }, { headers: { 'x-custom-event-id': 'buffered-at-shutdown' } }).catch(() => undefined),
          5_000,
          'the key accepted',
        );
        expect(answer.choices[0].message.content).toBeTruthy();
        closed = true;
        await gateway.close();
      } finally {
        if (!closed) await gateway.close();
      }
      const pg = new Client({ connectionString: database.url });
      await pg.connect();
      try {
        const rows = (await pg.query("SELECT custom_id, status, prompt_token_count FROM events WHERE custom_id = 'buffered-at-shutdown'")).rows;
        expect(rows).toEqual([{ custom_id: 'buffered-at-shutdown', status: 200, prompt_token_count: 12 }]);
      } finally {
        await pg.end();
      }
      expect(logs.join('\n')).not.toContain('undelivered');
    } finally {
      await database.drop();
      await upstream.stop();
    }
  });
});
