#!/usr/bin/env node
'use strict';
/**
 * The event pipeline's cost per event, without a load generator on the same cores:
 *
 *   npm run bench:events                      # build, then 3 rounds of 20,000 events
 *   npm run bench:events -- --no-build --events=50000 --rounds=5
 *
 * Starts the real worker (dist/apps/worker) in production mode on a fresh Postgres database
 * and queue prefix. Each round pauses the queue, enqueues the events the way the gateway does
 * (its own BullMQ delivery, batches of EVENT_BATCH_SIZE), resumes it, and waits until every
 * event is a row. Reported per event: worker CPU, Redis CPU (the whole server) and the CPU of
 * the Postgres backends serving the database, plus events/s. Only the consuming side counts:
 * enqueueing happens while the queue is paused, before the measurement starts.
 *
 * The events look like the main bench's: a priced chat completion of a key that logs request
 * and response bodies, so each one is priced, settled against the key's counters and stored.
 */
const crypto = require('node:crypto');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { spawnSync } = require('node:child_process');
const tollgate = require('./lib/tollgate');
const proc = require('./lib/proc');
const children = require('./lib/children');

const ROOT = tollgate.ROOT;
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const PG = { host: process.env.PGHOST || '127.0.0.1', port: Number(process.env.PGPORT || 5432), user: process.env.PGUSER || 'postgres' };

function parseArgs(argv) {
  const opts = { build: true, events: 20_000, rounds: 3 };
  for (const arg of argv) {
    const [name, value] = arg.replace(/^--/, '').split('=');
    if (name === 'no-build') opts.build = false;
    else if (name === 'events') opts.events = Number(value);
    else if (name === 'rounds') opts.rounds = Number(value);
    else throw new Error(`unknown option ${arg} (--no-build, --events=N, --rounds=N)`);
  }
  if (!(opts.events > 0 && opts.rounds > 0)) throw new Error('--events and --rounds must be positive');
  return opts;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function redisCpuMs(redis) {
  const info = await redis.info('cpu');
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)[1]);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

function sampleEvents(count, keyId) {
  const request = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
  const response = JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! How can I help you today?' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 8, completion_tokens: 9, total_tokens: 17 },
  });
  return Array.from({ length: count }, () => ({
    id: crypto.randomUUID(),
    createdAt: Date.now(),
    keyId,
    tags: ['bench'],
    settingId: null,
    provider: 'openai',
    model: 'gpt-4o-mini-2024-07-18',
    requestedModel: 'gpt-4o-mini',
    status: 200,
    path: '/v1/chat/completions',
    method: 'POST',
    stream: false,
    latencyMs: 1.2,
    customId: null,
    userId: null,
    errorCode: null,
    usage: { promptTokens: 8, completionTokens: 9 },
    estimationInput: null,
    request,
    response,
    reservationMember: null,
  }));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const log = (line) => process.stdout.write(`${line}\n`);
  log(`Tollgate event pipeline bench: node ${process.version}, ${os.cpus().length} CPUs, ${opts.rounds} rounds of ${opts.events} events`);
  if (opts.build) {
    log('[build] npm run build ...');
    const built = await tollgate.build({ logFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-events-')), 'build.log') });
    if (!built.ok) throw new Error(built.message);
  }

  // Required after the build: these come from dist/ and the project's node_modules.
  const { Queue } = require(path.join(ROOT, 'node_modules/bullmq'));
  const Redis = require(path.join(ROOT, 'node_modules/ioredis'));
  const { Client } = require(path.join(ROOT, 'node_modules/pg'));
  const { bullmqEventDelivery } = require(path.join(ROOT, 'dist/libs/queue/src/bullmq-event-delivery.js'));
  const { bullmqConnectionOptions } = require(path.join(ROOT, 'dist/libs/redis/src/redis-connections.js'));

  const dbName = `tollgate_events_${process.pid}`;
  const queuePrefix = `bench-events-${process.pid}`;
  const databaseUrl = `postgres://${PG.user}@${PG.host}:${PG.port}/${dbName}`;
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    ADMIN_API_KEY: `bench-admin-${crypto.randomBytes(12).toString('hex')}`,
    ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
  };
  const redis = new Redis(REDIS_URL);
  const queue = new Queue('request-events', { connection: bullmqConnectionOptions(REDIS_URL), prefix: queuePrefix });
  const deliver = bullmqEventDelivery(queue);
  const batchSize = Number(process.env.EVENT_BATCH_SIZE || 200);
  let db = null;
  let worker = null;
  children.onCleanup(async () => {
    await children.stopChild(worker, 8_000);
    await queue.close().catch(() => undefined);
    await db?.end().catch(() => undefined);
    await tollgate.cleanupRedis(queuePrefix).catch(() => undefined);
    redis.disconnect();
    await tollgate.dropDatabase(dbName).catch(() => undefined);
  });

  await tollgate.createDatabase(dbName);
  const migrated = spawnSync(process.execPath, [path.join(ROOT, 'dist/apps/gateway/src/migrate.js')], { env, encoding: 'utf8' });
  if (migrated.status !== 0) throw new Error(`migrations failed: ${migrated.stderr || migrated.stdout}`);
  db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const keyId = (await db.query(`INSERT INTO api_keys (name, key_hash) VALUES ('bench', $1) RETURNING key_id`, [crypto.randomBytes(32).toString('hex')])).rows[0].key_id;
  // This script's own connection polls the row count: its backend is not the pipeline's.
  const ownBackend = Number((await db.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  const postgresCpu = () => new Map(postgresBackends(dbName).filter((pid) => pid !== ownBackend).map((pid) => [pid, proc.cpuMs(pid, false)]));

  worker = await tollgate.startWorker({ env: { ...env, LOG_LEVEL: 'info' }, logFile: path.join(os.tmpdir(), `tollgate-events-worker-${process.pid}.log`) });

  const rows = [];
  let stored = 0;
  for (let round = 1; round <= opts.rounds; round++) {
    await queue.pause();
    const events = sampleEvents(opts.events, keyId);
    for (let start = 0; start < events.length; start += batchSize) await deliver(events.slice(start, start + batchSize));
    await sleep(200);
    const before = { worker: proc.cpuMs(worker.pid), redis: await redisCpuMs(redis), postgres: postgresCpu(), at: performance.now() };
    await queue.resume();
    stored += opts.events;
    for (;;) {
      const count = Number((await db.query('SELECT count(*) AS n FROM events')).rows[0].n);
      if (count >= stored) break;
      if (performance.now() - before.at > 120_000) throw new Error(`round ${round}: ${count}/${stored} events stored after 120 s`);
      await sleep(100);
    }
    const elapsedMs = performance.now() - before.at;
    const perEvent = (ms) => ((ms * 1000) / opts.events).toFixed(1);
    const row = {
      round,
      eventsPerSecond: Math.round(opts.events / (elapsedMs / 1000)),
      workerUs: perEvent(proc.cpuMs(worker.pid) - before.worker),
      redisUs: perEvent((await redisCpuMs(redis)) - before.redis),
      postgresUs: perEvent(cpuSince(before.postgres, postgresCpu())),
    };
    rows.push(row);
    log(`round ${round}: ${row.eventsPerSecond} events/s; CPU per event: worker ${row.workerUs} µs, Redis ${row.redisUs} µs, Postgres backends ${row.postgresUs} µs`);
  }
  const spent = (await db.query('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId])).rows[0].spent_usd;
  const costs = (await db.query('SELECT sum(cost_in_usd) AS total, count(*) FILTER (WHERE cost_in_usd IS NULL) AS unpriced FROM events')).rows[0];
  const agree = Math.abs(Number(spent) - Number(costs.total)) < 1e-9;
  log(`sanity: ${stored} events stored, ${costs.unpriced} unpriced; key spend $${Number(spent)} ${agree ? '=' : 'DIFFERS FROM'} the sum of event costs $${Number(costs.total)}`);
  if (!agree || Number(costs.unpriced) > 0) process.exitCode = 1;
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'events-latest.json'), `${JSON.stringify({ node: process.version, cpus: os.cpus().length, events: opts.events, rounds: rows }, null, 2)}\n`);
}

/** The Postgres backends serving the database (found by their process titles). */
function postgresBackends(dbName) {
  const redisPids = new Set(proc.pidsByComm(['redis-server']));
  const pids = proc.infraPids(dbName).filter((pid) => !redisPids.has(pid));
  if (pids.length === 0) process.stderr.write('warning: no local Postgres backend found for the database; its CPU reads as 0\n');
  return pids;
}

/** CPU ms used between two per-pid readings; a backend that exited in between is left out, a new one counts from 0. */
function cpuSince(before, after) {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

main()
  .then(() => children.runCleanups())
  .then(() => process.exit(0))
  .catch(async (error) => {
    process.stderr.write(`bench:events failed: ${error.stack || error}\n`);
    await children.runCleanups();
    process.exit(1);
  });
