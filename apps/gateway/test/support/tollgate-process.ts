import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GuardedProcess, spawnGuarded } from './child-process';

const ROOT = resolve(__dirname, '../../../..');
const GATEWAY_MAIN = join(ROOT, 'dist/apps/gateway/src/main.js');
export const WORKER_MAIN = join(ROOT, 'dist/apps/worker/src/main.js');
export const MIGRATE_MAIN = join(ROOT, 'dist/apps/gateway/src/migrate.js');

/** What a production gateway or worker process needs (README "Production"). */
export interface ProcessEnv {
  DATABASE_URL: string;
  REDIS_URL: string;
  ADMIN_API_KEY: string;
  ENCRYPTION_KEY: string;
  QUEUE_PREFIX: string;
  [name: string]: string;
}

/** A fresh production configuration on the given database and Redis: random keys, a queue prefix of its own. */
export function processEnv(databaseUrl: string, redisUrl: string): ProcessEnv {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    ADMIN_API_KEY: `admin-${randomBytes(16).toString('hex')}`,
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    QUEUE_PREFIX: `tgtest-${randomBytes(4).toString('hex')}`,
  };
}

export interface GatewayProcess {
  proxyUrl: string;
  adminUrl: string;
  process: GuardedProcess;
  stop(): Promise<void>;
}

/**
 * Starts `node dist/apps/gateway/src/main.js` (the built gateway, as production runs it) on
 * ephemeral loopback ports, and resolves once it logs that it listens.
 */
export function spawnGateway(env: ProcessEnv): Promise<GatewayProcess> {
  return spawnGatewayMain(env);
}

/**
 * The README's first command's process: no DATABASE_URL and no REDIS_URL, so the gateway runs
 * standalone (embedded Postgres in `STANDALONE_DATA_DIR`, its worker in-process).
 */
export function spawnStandaloneGateway(env: { STANDALONE_DATA_DIR: string; ADMIN_API_KEY: string; [name: string]: string }): Promise<GatewayProcess> {
  // In a process group of its own, as a job a terminal runs: Ctrl-C is then signalGroup('SIGINT').
  return spawnGatewayMain(env, 120_000, true);
}

async function spawnGatewayMain(env: Record<string, string>, readyTimeoutMs = 20_000, ownProcessGroup = false): Promise<GatewayProcess> {
  assertBuilt();
  const child = await spawnGuarded(
    process.execPath,
    [GATEWAY_MAIN],
    {
    PATH: process.env.PATH,
    PROXY_PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    EVENT_FLUSH_INTERVAL_MS: '10',
    // The fake providers listen on 127.0.0.1 over plain http.
    UPSTREAM_ALLOWED_HOSTS: '127.0.0.1',
    ...env,
    },
    10_000,
    { ownProcessGroup },
  );
  try {
    const line = await child.waitForLine((l) => l.includes('"tollgate gateway listening"'), readyTimeoutMs, 'the gateway to listen');
    const { proxyPort, adminPort } = JSON.parse(line) as { proxyPort: number; adminPort: number };
    return {
      proxyUrl: `http://127.0.0.1:${proxyPort}`,
      adminUrl: `http://127.0.0.1:${adminPort}`,
      process: child,
      stop: () => child.stop(),
    };
  } catch (error) {
    await child.stop(500);
    throw error;
  }
}

/** Starts `node dist/apps/worker/src/main.js` and resolves once it consumes its queue. */
export async function spawnWorker(env: ProcessEnv): Promise<GuardedProcess> {
  assertBuilt();
  const child = await spawnGuarded(process.execPath, [WORKER_MAIN], {
    PATH: process.env.PATH,
    LOG_LEVEL: 'info',
    EVENT_FLUSH_INTERVAL_MS: '10',
    WORKER_BATCH_WAIT_MS: '10',
    ...env,
  });
  try {
    await child.waitForLine((l) => l.includes('"msg":"consuming"'), 20_000, 'the worker to consume');
    return child;
  } catch (error) {
    await child.stop(500);
    throw error;
  }
}

let checked = false;

/**
 * Multi-process tests run the built code: refuse to test a dist older than the sources
 * (`npm test` builds first; alone, run `npm run build`).
 */
function assertBuilt(): void {
  if (checked) return;
  if (!existsSync(GATEWAY_MAIN) || !existsSync(WORKER_MAIN)) {
    throw new Error('dist/ is missing: run `npm run build` before the multi-process tests (npm test does)');
  }
  const built = Math.min(statSync(GATEWAY_MAIN).mtimeMs, statSync(WORKER_MAIN).mtimeMs);
  const newest = newestSource([join(ROOT, 'apps/gateway/src'), join(ROOT, 'apps/worker/src'), join(ROOT, 'libs')]);
  if (newest.mtimeMs > built) {
    throw new Error(`dist/ is older than ${newest.path}: run \`npm run build\` before the multi-process tests (npm test does)`);
  }
  checked = true;
}

function newestSource(dirs: string[]): { path: string; mtimeMs: number } {
  let newest = { path: '', mtimeMs: 0 };
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['node_modules', '__fixtures__', 'test'].includes(entry.name)) visit(path);
      } else if (entry.name.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(entry.name)) {
        const mtimeMs = statSync(path).mtimeMs;
        if (mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
      }
    }
  };
  dirs.forEach(visit);
  return newest;
}
