import type { Config } from 'jest';

const aliases = ['common', 'database', 'queue', 'redis', 'keys', 'provider-settings', 'config-cache', 'providers', 'reporting', 'users', 'limits', 'custom-providers'];

const config: Config = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Unit specs sit next to the code; e2e specs boot the gateway and the worker against real
  // Postgres and Redis (TEST_DATABASE_URL, TEST_REDIS_URL) with fake LLM upstreams.
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/apps/**/*.e2e-spec.ts'],
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }] },
  // content-disposition (under @fastify/static, for Swagger UI) ships ES modules only; Node
  // requires it natively, Jest's module system needs it compiled to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleNameMapper: Object.fromEntries(aliases.map((name) => [`^@tollgate/${name}$`, `<rootDir>/libs/${name}/src`])),
  maxWorkers: 2,
  testTimeout: 30_000,
};

export default config;
