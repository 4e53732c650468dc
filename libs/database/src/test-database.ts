import { Client } from 'pg';

/**
 * Creates a throw-away database on the server behind `adminUrl` and returns its URL.
 * Tests get a database per run, so they never touch a developer's data nor each other's.
 */
export async function createTestDatabase(adminUrl: string, prefix = 'tollgate_test'): Promise<{
  url: string;
  drop: () => Promise<void>;
}> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
