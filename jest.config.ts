import type { Config } from 'jest';

const aliases = ['common', 'database', 'queue', 'redis', 'keys', 'provider-settings', 'config-cache', 'providers', 'reporting'];

const config: Config = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Unit specs sit next to the code; e2e specs boot the gateway and the worker against real
  // Postgres and Redis (TEST_DATABASE_URL, TEST_REDIS_URL) with fake LLM upstreams.
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/apps/**/*.e2e-spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }] },
  moduleNameMapper: Object.fromEntries(aliases.map((name) => [`^@tollgate/${name}$`, `<rootDir>/libs/${name}/src`])),
  maxWorkers: 2,
  testTimeout: 30_000,
};

export default config;
