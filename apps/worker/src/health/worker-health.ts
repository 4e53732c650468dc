import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DependencyStatus, checkDependency } from '@tollgate/common';
import { MigrationsCheck, MigrationsStatus } from '@tollgate/database';
import { DataSource } from 'typeorm';
import { WorkerProbeRedis } from './worker-probe-redis';

export interface WorkerReadiness {
  ready: boolean;
  checks: { postgres: DependencyStatus; redis: DependencyStatus; migrations: MigrationsStatus };
}

/**
 * The worker's readiness: it can record events only with Postgres and Redis both reachable, and
 * the schema its version writes to migrated (the gateway migrates, or a Job: a worker rolled out
 * first would fail every batch). Served on WORKER_METRICS_PORT beside /metrics (GET /health/live,
 * GET /health/ready).
 */
@Injectable()
export class WorkerHealth {
  private readonly migrations: MigrationsCheck;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly probe: WorkerProbeRedis,
  ) {
    this.migrations = new MigrationsCheck(dataSource);
  }

  async ready(): Promise<WorkerReadiness> {
    const [postgres, redis] = await Promise.all([
      checkDependency(() => this.dataSource.query('SELECT 1')),
      checkDependency(async () => {
        if ((await this.probe.redis.ping()) !== 'PONG') throw new Error('unexpected PING answer');
      }),
    ]);
    const migrations = postgres === 'ok' ? await this.migrations.status() : 'down';
    return { ready: postgres === 'ok' && redis === 'ok' && migrations === 'ok', checks: { postgres, redis, migrations } };
  }
}
