import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { withTimeout } from '@tollgate/common';
import { DataSource } from 'typeorm';
import { WorkerProbeRedis } from './worker-probe-redis';

type CheckResult = 'ok' | 'down';

/** A check's longest wait: a blackholed Postgres or Redis answers "down" well within a probe's timeout. */
const CHECK_TIMEOUT_MS = 1_000;

/**
 * The worker's readiness: it can record events only with Postgres and Redis both reachable.
 * Served on WORKER_METRICS_PORT beside /metrics (GET /health/live, GET /health/ready).
 */
@Injectable()
export class WorkerHealth {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly probe: WorkerProbeRedis,
  ) {}

  async ready(): Promise<{ ready: boolean; checks: { postgres: CheckResult; redis: CheckResult } }> {
    const [postgres, redis] = await Promise.all([
      check(() => this.dataSource.query('SELECT 1')),
      check(async () => {
        if ((await this.probe.redis.ping()) !== 'PONG') throw new Error('unexpected PING answer');
      }),
    ]);
    return { ready: postgres === 'ok' && redis === 'ok', checks: { postgres, redis } };
  }
}

async function check(run: () => Promise<unknown>): Promise<CheckResult> {
  try {
    await withTimeout(run(), CHECK_TIMEOUT_MS, 'check timed out');
    return 'ok';
  } catch {
    return 'down';
  }
}
