'use strict';
/**
 * Tollgate in production mode for the bench: a fresh Postgres database, a unique BullMQ
 * prefix, the gateway and the worker as child processes, a provider setting pointing at the
 * fake upstream and a key with request and response logging on.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnChild, stopChild } = require('./children');

/** The checkout to build and run; --tollgate-dir points elsewhere (e.g. another commit's tree). */
let ROOT = path.resolve(__dirname, '..', '..');
const gatewayMain = () => path.join(ROOT, 'dist', 'apps', 'gateway', 'src', 'main.js');
const workerMain = () => path.join(ROOT, 'dist', 'apps', 'worker', 'src', 'main.js');
function setRoot(dir) {
  ROOT = path.resolve(dir);
}
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const BENCH_KEY = 'tg-bench-key-123456';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

async function build({ logFile, timeoutMs = 240_000 }) {
  const child = spawnChild('npm-run-build', 'npm', ['run', 'build'], { cwd: ROOT, env: cleanEnv(), logFile });
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => {
      stopChild(child, 2_000);
      resolve('timeout');
    }, timeoutMs);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const ok = code === 0 && fs.existsSync(gatewayMain()) && fs.existsSync(workerMain());
  return { ok, message: ok ? 'ok' : `npm run build failed (${code}); see ${logFile}` };
}

async function withPg(fn) {
  const { Client } = require('pg');
  const client = new Client({ ...PG, database: 'postgres', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const createDatabase = (name) => withPg((c) => c.query(`CREATE DATABASE ${name}`));
const dropDatabase = (name) => withPg((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));

async function countEvents(dbName, keyId) {
  const { Client } = require('pg');
  const client = new Client({ ...PG, database: dbName, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const r = await client.query('SELECT count(*)::int AS n, count(request)::int AS with_request, count(response)::int AS with_response FROM events WHERE key_id = $1', [keyId]);
    return r.rows[0];
  } catch {
    const r = await client.query('SELECT count(*)::int AS n FROM events WHERE key_id = $1', [keyId]);
    return r.rows[0];
  } finally {
    await client.end().catch(() => {});
  }
}

/** Deletes the run's BullMQ keys (prefix:*), bounded in time. */
async function cleanupRedis(prefix) {
  const Redis = require('ioredis');
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  const deadline = Date.now() + 10_000;
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0' && Date.now() < deadline);
  } finally {
    redis.disconnect();
  }
  return deleted;
}

async function waitFor(check, { timeoutMs, intervalMs = 200, what, failIf }) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    if (failIf) {
      const reason = failIf();
      if (reason) throw new Error(`${what}: ${reason}`);
    }
    try {
      const result = await check();
      if (result) return result;
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not ready within ${timeoutMs} ms${last ? ` (${last.message})` : ''}`);
}

async function http(method, url, { headers = {}, body, timeoutMs = 10_000 } = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts gateway + worker and configures them. Returns handles; stop() ends both processes
 * (the database and Redis keys are cleaned by the caller's cleanup hooks).
 */
async function startTollgate({ fakePort, proxyPort, adminPort, dbName, queuePrefix, logDir, cpuProfDir, gatewayNodeArgs = [], gatewayEnv = {}, budget = false, log = console.log }) {
  const adminApiKey = `bench-admin-${crypto.randomBytes(12).toString('hex')}`;
  const env = {
    ...cleanEnv(),
    NODE_ENV: 'production',
    DATABASE_URL: `postgres://${PG.user}@${PG.host}:${PG.port}/${dbName}`,
    REDIS_URL,
    ADMIN_API_KEY: adminApiKey,
    ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'),
    HOST: '127.0.0.1',
    PROXY_PORT: String(proxyPort),
    ADMIN_PORT: String(adminPort),
    LOG_LEVEL: 'info',
    QUEUE_PREFIX: queuePrefix,
    // The outbound (SSRF) policy refuses loopback upstreams unless allow-listed; the fake is on 127.0.0.1.
    UPSTREAM_ALLOWED_HOSTS: '127.0.0.1',
  };
  const gatewayLog = path.join(logDir, 'tollgate-gateway.log');
  const workerLog = path.join(logDir, 'tollgate-worker.log');
  const profArgs = (name) =>
    cpuProfDir
      ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${name}.cpuprofile`, '--require', path.join(__dirname, 'exit-on-sigterm.js')]
      : [];

  const gateway = spawnChild('tollgate-gateway', process.execPath, [...profArgs('gateway'), ...gatewayNodeArgs, gatewayMain()], { cwd: ROOT, env: { ...env, ...gatewayEnv }, logFile: gatewayLog });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const exited = (child, file) => () => (child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode}); log tail:\n${tail(file)}` : null);
  const handles = { gateway, worker: null, adminUrl, proxyUrl, adminApiKey, gatewayLog, workerLog, keyId: null, settingId: null };
  handles.stop = async () => {
    await Promise.all([stopChild(handles.worker, 8_000), stopChild(gateway, 8_000)]);
  };

  await waitFor(async () => (await http('GET', `${adminUrl}/health/ready`, { timeoutMs: 2_000 })).status === 200, {
    timeoutMs: 90_000,
    what: 'tollgate gateway /health/ready',
    failIf: exited(gateway, gatewayLog),
  });

  // The worker after the gateway: the gateway has applied the migrations by now.
  handles.worker = await startWorker({ env, logFile: workerLog, nodeArgs: profArgs('worker') });

  const admin = { 'x-api-key': adminApiKey };
  const setting = await http('POST', `${adminUrl}/api/provider-settings`, {
    headers: admin,
    body: { provider: 'openai', setting: { apiKey: 'sk-fake', url: `http://127.0.0.1:${fakePort}/v1` } },
  });
  if (setting.status >= 300 || !setting.json || !setting.json.id) throw new Error(`POST /api/provider-settings: ${setting.status} ${setting.text}`);
  handles.settingId = setting.json.id;
  const key = await http('PUT', `${adminUrl}/api/key-management/keys`, {
    headers: admin,
    body: {
      name: 'bench',
      key: BENCH_KEY,
      settingIds: [setting.json.id],
      shouldLogRequest: true,
      shouldLogResponse: true,
      // --budget: every request is admitted against a budget (worst case reserved, then held and
      // settled) that the run never reaches.
      ...(budget ? { costLimitInUsd: 1_000_000 } : {}),
    },
  });
  if (key.status >= 300 || !key.json || !key.json.keyId) throw new Error(`PUT /api/key-management/keys: ${key.status} ${key.text}`);
  handles.keyId = key.json.keyId;
  if (key.json.shouldLogRequest !== true || key.json.shouldLogResponse !== true) {
    log(`  WARNING: key came back with shouldLogRequest=${key.json.shouldLogRequest} shouldLogResponse=${key.json.shouldLogResponse}`);
  }

  // The key snapshot refreshes over Redis pub/sub: wait until the proxy accepts the key.
  let probes = 0;
  await waitFor(
    async () => {
      const r = await http('POST', `${proxyUrl}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${BENCH_KEY}` },
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] },
        timeoutMs: 5_000,
      });
      // A 401 (the key not in the proxy's snapshot yet) records no event; every other answer does.
      if (r.status !== 401) probes++;
      if (r.status !== 200) throw new Error(`proxy answered ${r.status}: ${r.text.slice(0, 200)}`);
      return true;
    },
    { timeoutMs: 15_000, intervalMs: 50, what: 'tollgate proxy accepting the bench key', failIf: exited(gateway, gatewayLog) },
  );
  handles.readinessProbes = probes;
  return handles;
}

/** Starts the worker (dist) and resolves once it consumes; the database must be migrated. */
async function startWorker({ env, logFile, nodeArgs = [] }) {
  const worker = spawnChild('tollgate-worker', process.execPath, [...nodeArgs, workerMain()], { cwd: ROOT, env, logFile });
  await waitFor(() => /consuming/.test(fs.readFileSync(logFile, 'utf8')), {
    timeoutMs: 30_000,
    what: 'tollgate worker',
    failIf: () => (worker.exitCode !== null || worker.signalCode !== null ? `exited (${worker.exitCode ?? worker.signalCode}); log tail:\n${tail(logFile)}` : null),
  });
  return worker;
}

/** GET /api/events for the key (at most 1000 come back). */
async function fetchEvents(handles) {
  const end = Math.floor(Date.now() / 1000) + 60;
  const r = await http('GET', `${handles.adminUrl}/api/events?keyIds=${handles.keyId}&start=0&end=${end}`, {
    headers: { 'x-api-key': handles.adminApiKey },
    timeoutMs: 20_000,
  });
  if (r.status !== 200 || !Array.isArray(r.json)) throw new Error(`GET /api/events: ${r.status} ${r.text.slice(0, 300)}`);
  return r.json;
}

module.exports = {
  get ROOT() {
    return ROOT;
  },
  setRoot,
  gatewayMain,
  BENCH_KEY,
  build,
  createDatabase,
  dropDatabase,
  countEvents,
  cleanupRedis,
  startTollgate,
  startWorker,
  fetchEvents,
  tail,
};
