import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { withTimeout } from '@tollgate/common';
import { ConfigSnapshotService } from '@tollgate/config-cache';
import { migrationsAreApplied } from '@tollgate/database';
import { FastifyReply } from 'fastify';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { OnSurface, Surface } from '../http/surface';
import { ShutdownState } from '../runtime/shutdown-state';
import { REQUEST_REDIS } from '../runtime/tokens';

type CheckResult = 'ok' | 'down' | 'pending' | 'not-used';

/**
 * The most a database check may take. A Postgres that is blackholed rather than refusing (a
 * network partition, a frozen instance) would hold the probe for the query timeout, 30 s, past
 * any probe's own timeout (Redis's commands are bounded the same way by their client).
 */
const POSTGRES_CHECK_TIMEOUT_MS = 1_000;

/** Liveness and readiness on both listeners, for Kubernetes probes. */
@ApiExcludeController()
@OnSurface(Surface.Both)
@Controller('health')
export class HealthController {
  /** Migrations never un-apply, so once seen applied the check is skipped. */
  private migrationsSeenApplied = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REQUEST_REDIS) private readonly redis: Redis | null,
    private readonly snapshot: ConfigSnapshotService,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    if (this.shutdown.stopping) {
      void reply.status(503).send({ status: 'stopping' });
      return;
    }
    const [postgres, redis] = await Promise.all([this.checkPostgres(), this.checkRedis()]);
    const migrations = postgres === 'ok' ? await this.checkMigrations() : 'down';
    // Keys and settings come from the in-memory snapshot: until it has loaded once, every key
    // would be refused (a replica whose first load failed keeps trying on its resync timer).
    const snapshot: CheckResult = this.snapshot.stats().lastFullLoadAt === null ? 'pending' : 'ok';
    const checks = { postgres, redis, migrations, snapshot };
    const ready = Object.values(checks).every((value) => value === 'ok' || value === 'not-used');
    void reply.status(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
  }

  private async checkPostgres(): Promise<CheckResult> {
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), POSTGRES_CHECK_TIMEOUT_MS, 'the Postgres check timed out');
      return 'ok';
    } catch {
      return 'down';
    }
  }

  private async checkRedis(): Promise<CheckResult> {
    if (!this.redis) return 'not-used';
    try {
      return (await this.redis.ping()) === 'PONG' ? 'ok' : 'down';
    } catch {
      return 'down';
    }
  }

  private async checkMigrations(): Promise<CheckResult> {
    if (this.migrationsSeenApplied) return 'ok';
    try {
      this.migrationsSeenApplied = await withTimeout(migrationsAreApplied(this.dataSource), POSTGRES_CHECK_TIMEOUT_MS, 'the migrations check timed out');
      return this.migrationsSeenApplied ? 'ok' : 'pending';
    } catch {
      return 'down';
    }
  }
}
