import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DependencyStatus, checkDependency } from '@tollgate/common';
import { DataSource } from 'typeorm';
import { WorkerProbeRedis } from './worker-probe-redis';

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

  async ready(): Promise<{ ready: boolean; checks: { postgres: DependencyStatus; redis: DependencyStatus } }> {
    const [postgres, redis] = await Promise.all([
      checkDependency(() => this.dataSource.query('SELECT 1')),
      checkDependency(async () => {
        if ((await this.probe.redis.ping()) !== 'PONG') throw new Error('unexpected PING answer');
      }),
    ]);
    return { ready: postgres === 'ok' && redis === 'ok', checks: { postgres, redis } };
  }
}

