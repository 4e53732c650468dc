#!/usr/bin/env node
'use strict';
/**
 * What one budgeted admission costs Redis, by how many reservations the scope has outstanding:
 *
 *   npm run bench:limits                         # build, then 0 / 1,000 / 10,000 / 100,000 outstanding
 *   npm run bench:limits -- --no-build --outstanding=0,50000 --admissions=2000
 *
 * A key's reservations stay outstanding for the whole upstream call (seconds for an LLM answer,
 * a minute for a long stream) and until the worker settles the event, so a busy budgeted key
 * holds thousands of them. Admission runs the real RedisLimitStore (dist/libs/limits) against
 * Redis, with a key that has a total and a daily budget (both checked on every admission).
 * Reported per admission: Redis CPU for the script (INFO commandstats, evalsha), and the
 * client's round trip, sequential. Redis at redis://127.0.0.1:6379 (BENCH_REDIS_URL), keys under
 * a fresh prefix, deleted at the end.
 */
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const Redis = require('ioredis');

const ROOT = path.resolve(__dirname, '..');
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

function parseArgs(argv) {
  const opts = { build: true, outstanding: [0, 1_000, 10_000, 100_000], admissions: 1_000 };
  for (const arg of argv) {
    const [name, value] = arg.replace(/^--/, '').split('=');
    if (name === 'no-build') opts.build = false;
    else if (name === 'outstanding') opts.outstanding = value.split(',').map(Number);
    else if (name === 'admissions') opts.admissions = Number(value);
    else throw new Error(`unknown option ${arg} (--no-build, --outstanding=N,N,..., --admissions=N)`);
  }
  return opts;
}

async function evalshaStats(redis) {
  const match = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await redis.info('commandstats'));
  return match ? { calls: Number(match[1]), usec: Number(match[2]) } : { calls: 0, usec: 0 };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.build) {
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('build failed');
  }
  const { RedisLimitStore } = require(path.join(ROOT, 'dist/libs/limits/src/redis-limit-store'));
  const { LimitKeys } = require(path.join(ROOT, 'dist/libs/limits/src/limit-keys'));
  const redis = new Redis(REDIS_URL);
  const store = new RedisLimitStore(redis);
  const prefix = `bench-limits-${process.pid}`;
  const keys = new LimitKeys(prefix);
  const reservations = keys.reservations('key', 'bench');
  const plan = (requestId) => ({
    hydratedKey: keys.hydrated,
    rate: [],
    budgets: [
      { reservations, spentKey: keys.lifetimeSpent('key', 'bench'), limitNano: 1e15 },
      { reservations, spentKey: keys.periodSpent('key', 'bench', 'd', Date.now()).key, limitNano: 1e15 },
    ],
    requestId,
    amountNano: 1_000,
    reservationTtlMs: 15 * 60_000,
  });
  console.log(`Redis ${REDIS_URL}; ${opts.admissions} admissions per row, each with a total and a daily budget\n`);
  console.log('outstanding | Redis µs/admission | round trip µs (p50)');
  try {
    await redis.set(keys.hydrated, '1');
    let held = 0;
    for (const target of opts.outstanding) {
      // Reservations are made the way the gateway makes them: through admissions, 1,000 at a time.
      while (held < target) {
        const batch = Math.min(1_000, target - held);
        await Promise.all(Array.from({ length: batch }, (_, i) => store.admit(plan(`fill-${held + i}`))));
        held += batch;
      }
      const before = await evalshaStats(redis);
      const trips = [];
      for (let i = 0; i < opts.admissions; i++) {
        const started = process.hrtime.bigint();
        const outcome = await store.admit(plan(`measure-${target}-${i}`));
        trips.push(Number(process.hrtime.bigint() - started) / 1e3);
        if (outcome.kind !== 'admitted') throw new Error(`admission refused: ${JSON.stringify(outcome)}`);
      }
      const after = await evalshaStats(redis);
      held += opts.admissions;
      trips.sort((a, b) => a - b);
      const redisUs = (after.usec - before.usec) / Math.max(1, after.calls - before.calls);
      console.log(`${String(target).padStart(11)} | ${redisUs.toFixed(1).padStart(18)} | ${trips[Math.floor(trips.length / 2)].toFixed(1).padStart(19)}`);
    }
  } finally {
    const leftovers = await redis.keys(`${prefix}:*`);
    if (leftovers.length > 0) await redis.del(...leftovers);
    redis.disconnect();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
