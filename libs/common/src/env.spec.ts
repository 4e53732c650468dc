import { EnvValidationError, loadEnv } from './env';

const production = {
  DATABASE_URL: 'postgres://u@localhost:5432/db',
  REDIS_URL: 'redis://localhost:6379',
  ADMIN_API_KEY: 'a-long-enough-admin-key',
  ENCRYPTION_KEY: 'ab'.repeat(32),
};

describe('loadEnv', () => {
  it('reads a production configuration with defaults', () => {
    const env = loadEnv(production);
    expect(env).toMatchObject({ mode: 'production', proxyPort: 8002, adminPort: 8001, logLevel: 'info', maxBodyBytes: 32 * 1024 * 1024 });
    expect(env.encryptionKey).toHaveLength(32);
  });

  it('is standalone with neither URL, and refuses half a production configuration', () => {
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...secrets } = production;
    expect(loadEnv(secrets).mode).toBe('standalone');
    expect(() => loadEnv({ ...secrets, DATABASE_URL: production.DATABASE_URL })).toThrow(/both DATABASE_URL and REDIS_URL/);
  });

  it('reports every bad variable at once, one line each', () => {
    try {
      loadEnv({ ...production, ADMIN_API_KEY: 'short', ENCRYPTION_KEY: 'nope', PROXY_PORT: 'x', LOG_LEVEL: 'loud', REDIS_URL: 'http://x' });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(EnvValidationError);
      const problems = (error as EnvValidationError).problems;
      expect(problems).toHaveLength(5);
      expect(problems.join('\n')).toMatch(/ADMIN_API_KEY[\s\S]*ENCRYPTION_KEY[\s\S]*PROXY_PORT|REDIS_URL/);
      for (const name of ['ADMIN_API_KEY', 'ENCRYPTION_KEY', 'PROXY_PORT', 'LOG_LEVEL', 'REDIS_URL']) {
        expect(problems.filter((p) => p.startsWith(name))).toHaveLength(1);
      }
    }
  });

  it('requires the admin key and the encryption key', () => {
    const { ADMIN_API_KEY: _a, ENCRYPTION_KEY: _e, ...rest } = production;
    expect(() => loadEnv(rest)).toThrow(/ADMIN_API_KEY is required[\s\S]*ENCRYPTION_KEY is required/);
  });

  it('serves worker metrics only when WORKER_METRICS_PORT is set', () => {
    expect(loadEnv(production).workerMetricsPort).toBeNull();
    expect(loadEnv({ ...production, WORKER_METRICS_PORT: '9464' }).workerMetricsPort).toBe(9464);
    expect(() => loadEnv({ ...production, WORKER_METRICS_PORT: 'metrics' })).toThrow(/WORKER_METRICS_PORT must be an integer/);
  });

  it('accepts a base64 encryption key', () => {
    expect(loadEnv({ ...production, ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }).encryptionKey).toEqual(Buffer.alloc(32, 7));
  });
});
