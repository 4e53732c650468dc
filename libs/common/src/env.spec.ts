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

  it('bounds the upstream answers read whole below what V8 can hold as one string', () => {
    expect(loadEnv(production).upstreamMaxResponseBytes).toBe(128 * 1024 * 1024);
    expect(loadEnv({ ...production, UPSTREAM_MAX_RESPONSE_BYTES: '1048576' }).upstreamMaxResponseBytes).toBe(1024 * 1024);
    expect(() => loadEnv({ ...production, UPSTREAM_MAX_RESPONSE_BYTES: String(1024 * 1024 * 1024) })).toThrow('UPSTREAM_MAX_RESPONSE_BYTES must be an integer between 1024 and 536870912');
  });

  it('holds request bodies up to MAX_BODY_BYTES_IN_FLIGHT at once, never less than one body', () => {
    expect(loadEnv(production).maxBodyBytesInFlight).toBe(512 * 1024 * 1024);
    expect(loadEnv({ ...production, MAX_BODY_BYTES: '65536', MAX_BODY_BYTES_IN_FLIGHT: '65536' }).maxBodyBytesInFlight).toBe(65536);
    expect(() => loadEnv({ ...production, MAX_BODY_BYTES: '65536', MAX_BODY_BYTES_IN_FLIGHT: '65535' })).toThrow('MAX_BODY_BYTES_IN_FLIGHT must be at least MAX_BODY_BYTES (65536)');
  });

  it('is standalone with neither URL, and refuses half a production configuration', () => {
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...secrets } = production;
    expect(loadEnv(secrets)).toMatchObject({ mode: 'standalone', host: '127.0.0.1' });
    expect(loadEnv({ ...secrets, HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadEnv(production).host).toBe('0.0.0.0');
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

  it('reads the browser origins the proxy answers CORS for: any by default, a list, or none', () => {
    expect(loadEnv(production).proxyCorsOrigins).toBe('*');
    expect(loadEnv({ ...production, PROXY_CORS_ORIGINS: 'none' }).proxyCorsOrigins).toEqual([]);
    expect(loadEnv({ ...production, PROXY_CORS_ORIGINS: 'https://app.example.com, http://localhost:3000' }).proxyCorsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
    // A browser sends scheme://host[:port], lower-case: an entry written otherwise would never match.
    for (const entry of ['https://app.example.com/', 'app.example.com', 'https://App.example.com', 'ftp://files.example.com', 'https://app.example.com/chat']) {
      expect(() => loadEnv({ ...production, PROXY_CORS_ORIGINS: entry })).toThrow(/PROXY_CORS_ORIGINS must be/);
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

  it('accepts a base64 or base64url encryption key, and nothing around it', () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 8 + 3));
    expect(loadEnv({ ...production, ENCRYPTION_KEY: key.toString('base64') }).encryptionKey).toEqual(key);
    expect(loadEnv({ ...production, ENCRYPTION_KEY: key.toString('base64url') }).encryptionKey).toEqual(key);
    // Buffer.from skips characters base64 does not have: this decoded to the same 32 bytes.
    expect(() => loadEnv({ ...production, ENCRYPTION_KEY: `${key.toString('base64')}!!!` })).toThrow(/ENCRYPTION_KEY must be 32 bytes/);
  });

  it('reads integers written in digits only', () => {
    for (const written of ['0x1f40', '1e3', '0b11', '8000.0']) {
      expect(() => loadEnv({ ...production, PROXY_PORT: written })).toThrow(`PROXY_PORT must be an integer between 0 and 65535 (got "${written}")`);
    }
    expect(loadEnv({ ...production, EVENT_BATCH_SIZE: ' 16 ' }).eventBatchSize).toBe(16);
  });

  it("takes a database number as REDIS_URL's path, and nothing else", () => {
    expect(loadEnv({ ...production, REDIS_URL: 'redis://localhost:6379/5' }).redisUrl).toBe('redis://localhost:6379/5');
    expect(loadEnv({ ...production, REDIS_URL: 'redis://localhost:6379/' }).mode).toBe('production');
    expect(() => loadEnv({ ...production, REDIS_URL: 'redis://localhost:6379/abc' })).toThrow(/REDIS_URL's path must be a database number/);
    // A password with an unencoded "/" ends up in the path: the message never quotes it.
    expect(() => loadEnv({ ...production, REDIS_URL: 'redis://user:12/s3cret-pass@redis:6379' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('s3cret') }));
    expect(() => loadEnv({ ...production, REDIS_URL: 'redis://user:12/s3cret-pass@redis:6379' })).toThrow(/percent-encoded as %2F/);
  });

  it('checks the variables that end up in headers, keys and the listen call', () => {
    for (const [name, value, message] of [
      ['HOST', 'local host', /HOST must be an IP address or a host name/],
      ['QUEUE_PREFIX', 'tg prod', /QUEUE_PREFIX must be letters, digits/],
      ['ANTHROPIC_VERSION', '2023-06-01\r\nx: y', /ANTHROPIC_VERSION must be a version date/],
      ['AZURE_API_VERSION', 'latest', /AZURE_API_VERSION must be an API version/],
    ] as const) {
      expect(() => loadEnv({ ...production, [name]: value })).toThrow(message);
    }
    expect(loadEnv({ ...production, HOST: '::', QUEUE_PREFIX: '{tollgate}', ANTHROPIC_VERSION: '2023-01-01', AZURE_API_VERSION: '2025-04-01-preview' })).toMatchObject({
      host: '::',
      queuePrefix: '{tollgate}',
      anthropicVersion: '2023-01-01',
      azureApiVersion: '2025-04-01-preview',
    });
    expect(loadEnv({ ...production, HOST: 'tollgate.internal' }).host).toBe('tollgate.internal');
    // listen() wants IPv6 without brackets.
    expect(loadEnv({ ...production, HOST: '[::1]' }).host).toBe('::1');
    // A total timeout alone below the first-byte default is valid: the first-byte timeout follows it.
    expect(loadEnv({ ...production, UPSTREAM_TOTAL_TIMEOUT_MS: '120000' })).toMatchObject({ upstreamTotalTimeoutMs: 120_000, upstreamFirstByteTimeoutMs: 120_000 });
    expect(() => loadEnv({ ...production, UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '700000', UPSTREAM_TOTAL_TIMEOUT_MS: '600000' })).toThrow(/UPSTREAM_FIRST_BYTE_TIMEOUT_MS \(700000\) must not exceed UPSTREAM_TOTAL_TIMEOUT_MS/);
  });

  it('asks each process only for what it uses', () => {
    const { ADMIN_API_KEY: _a, ...worker } = production;
    expect(loadEnv(worker, 'worker').mode).toBe('production');
    // The worker never reads provider credentials: it needs no ENCRYPTION_KEY (a wrong one is still refused).
    const { ENCRYPTION_KEY: _e, ...workerWithoutKey } = worker;
    expect(loadEnv(workerWithoutKey, 'worker').mode).toBe('production');
    expect(() => loadEnv({ ...workerWithoutKey, ENCRYPTION_KEY: 'nope' }, 'worker')).toThrow(/ENCRYPTION_KEY must be 32 bytes/);
    expect(() => loadEnv({ ENCRYPTION_KEY: production.ENCRYPTION_KEY }, 'worker')).toThrow(/the worker needs DATABASE_URL and REDIS_URL/);
    // Half a configuration is not standalone mode for a worker: it says what is missing.
    expect(() => loadEnv({ ENCRYPTION_KEY: production.ENCRYPTION_KEY, DATABASE_URL: production.DATABASE_URL }, 'worker')).toThrow(/the worker needs DATABASE_URL and REDIS_URL \(REDIS_URL not set;/);
    expect(loadEnv({ DATABASE_URL: production.DATABASE_URL }, 'migrate').databaseUrl).toBe(production.DATABASE_URL);
    expect(() => loadEnv({}, 'migrate')).toThrow(/DATABASE_URL is required to run migrations/);
    // The gateway still refuses to start without an admin key.
    expect(() => loadEnv(worker)).toThrow(/ADMIN_API_KEY is required/);
  });

  it('refuses an admin key that clients cannot send in a header as written', () => {
    for (const key of ['admin-key-with-é-in-it', 'admin key with spaces in it', 'admin-key-with-tab\tinside']) {
      expect(() => loadEnv({ ...production, ADMIN_API_KEY: key })).toThrow(/ADMIN_API_KEY must be printable ASCII without spaces/);
    }
    expect(loadEnv({ ...production, ADMIN_API_KEY: 'A-z_0.9~!$%&*+=?@^|' }).adminApiKey).toBe('A-z_0.9~!$%&*+=?@^|');
  });

  it('refuses a "#" in a URL, where it would cut a password and move the host', () => {
    expect(() => loadEnv({ ...production, DATABASE_URL: 'postgres://u:p@ss#w/rd@db.internal/tollgate' })).toThrow(/DATABASE_URL must not contain "#": percent-encode it as %23/);
    expect(loadEnv({ ...production, DATABASE_URL: 'postgres://u:p%40ss%23w%2Frd@db.internal/tollgate' }).databaseUrl).toContain('%23');
  });
});
