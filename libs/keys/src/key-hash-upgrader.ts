import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { KeyedLogThrottle, LOGGER, Logger } from '@tollgate/common';
import { KeysService } from './keys.service';

/** How long a key whose upgrade failed waits before one of its uses tries again: the upgrade is never urgent. */
const RETRY_AFTER_FAILURE_MS = 30_000;

/**
 * Rewrites keys found by their legacy SHA-256 to the HMAC scheme, off the request path: the proxy
 * asks and goes on at once. Each key is tried by one write at a time, and never again once done
 * (by this replica or another: the guarded UPDATE then matches nothing), so the requests that
 * still find the key by its old hash until the snapshot reloads it cost no query. A failure is
 * tried again on a use RETRY_AFTER_FAILURE_MS later, not on the next one: with Postgres down
 * (refusing at once), a key in use would otherwise make a connection attempt per request.
 */
@Injectable()
export class KeyHashUpgrader implements OnApplicationShutdown {
  /** Per key: being written, written, or failed (and when it may be tried again). */
  private readonly attempts = new Map<string, 'running' | 'done' | { retryAt: number }>();
  private readonly running = new Set<Promise<void>>();
  private readonly failures = new KeyedLogThrottle();
  private readonly logger: Logger;

  constructor(
    private readonly keys: KeysService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ context: 'KeyHashUpgrader' });
  }

  /** `keyHash`: the HMAC of the plaintext just presented, whose SHA-256 matched `legacyHash`. */
  upgrade(keyId: string, legacyHash: string, keyHash: string): void {
    const attempt = this.attempts.get(keyId);
    if (attempt === 'running' || attempt === 'done' || (attempt !== undefined && Date.now() < attempt.retryAt)) return;
    this.attempts.set(keyId, 'running');
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.keys.upgradeLegacyHash(keyId, legacyHash, keyHash))
      .then(
        (upgraded) => {
          this.attempts.set(keyId, 'done');
          if (upgraded) this.logger.info({ keyId }, 'key hash upgraded from SHA-256 to HMAC-SHA256');
        },
        (error: unknown) => {
          this.attempts.set(keyId, { retryAt: Date.now() + RETRY_AFTER_FAILURE_MS });
          this.failures.note(keyId, (occurrences) => this.logger.warn({ err: error, keyId, occurrences }, 'key hash upgrade failed: tried again on a use of the key 30 s from now'));
        },
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Before the database connection closes (global modules stop last): no write is cut. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
