import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DependencyStatus, checkDependency } from '@tollgate/common';
import { ConfigSnapshotService } from '@tollgate/config-cache';
import { MigrationsCheck } from '@tollgate/database';
import { Queue } from 'bullmq';
import { FastifyReply } from 'fastify';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { OnSurface, Surface } from '../http/surface';
import { ShutdownState } from '../runtime/shutdown-state';
import { EVENTS_QUEUE, REQUEST_REDIS } from '../runtime/tokens';

type CheckResult = DependencyStatus | 'pending' | 'not-used' | 'undecryptable';

/** Liveness and readiness on both listeners, for Kubernetes probes. */
@ApiExcludeController()
@OnSurface(Surface.Both)
@Controller('health')
export class HealthController {
  private readonly migrations: MigrationsCheck;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REQUEST_REDIS) private readonly redis: Redis | null,
    @Inject(EVENTS_QUEUE) private readonly eventsQueue: Queue | null,
    private readonly snapshot: ConfigSnapshotService,
    private readonly shutdown: ShutdownState,
  ) {
    this.migrations = new MigrationsCheck(dataSource);
  }

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
    const [postgres, redis, eventsQueue] = await Promise.all([this.checkPostgres(), this.checkRedis(), this.checkEventsQueue()]);
    const migrations = postgres === 'ok' ? await this.migrations.status() : 'down';
    // Keys and settings come from the in-memory snapshot: until it has loaded once, every key
    // would be refused (a replica whose first load failed keeps trying on its resync timer).
    const stats = this.snapshot.stats();
    const snapshot: CheckResult = stats.lastFullLoadAt === null ? 'pending' : 'ok';
    // Provider settings exist and not one decrypts: ENCRYPTION_KEY is not the one they were saved
    // with (a mistyped rollout). Such a replica would answer every proxied request with a 500;
    // out of the load balancer, the rollout stops. One unreadable setting among readable ones is
    // that setting's fault, reported on its keys' requests and in the log.
    const credentials: CheckResult = stats.unreadableProviderSettings > 0 && stats.providerSettings === 0 ? 'undecryptable' : 'ok';
    const checks = { postgres, redis, eventsQueue, migrations, snapshot, credentials };
    const ready = Object.values(checks).every((value) => value === 'ok' || value === 'not-used');
    void reply.status(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
  }

  /** Bounded: a Postgres blackholed rather than refusing would hold the probe for the query timeout. */
  private checkPostgres(): Promise<CheckResult> {
    return checkDependency(() => this.dataSource.query('SELECT 1'));
  }

  private async checkRedis(): Promise<CheckResult> {
    const redis = this.redis;
    if (!redis) return 'not-used';
    return checkDependency(async () => {
      if ((await redis.ping()) !== 'PONG') throw new Error('unexpected PING answer');
    });
  }

  /**
   * The events queue has a connection of its own: a replica whose queue cannot reach Redis loses
   * every event while its requests succeed. Its state, not a PING: that connection holds commands
   * while it is away (its offline queue), and a PING per probe would pile up there.
   */
  private async checkEventsQueue(): Promise<CheckResult> {
    const queue = this.eventsQueue;
    if (!queue) return 'not-used';
    return checkDependency(async () => {
      if ((await queue.client).status !== 'ready') throw new Error('the events queue is not connected');
    });
  }
}
