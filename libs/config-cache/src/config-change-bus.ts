import { randomUUID } from 'node:crypto';
import { ConfigChange, ConfigChangeNotifier, configChangeKey, withTimeout } from '@tollgate/common';
import Redis from 'ioredis';

/** Applies a change; the promise (if any) settles once this replica has applied it. */
export type ConfigChangeHandler = (change: ConfigChange) => void | Promise<void>;

/**
 * How long an admin write waits for its own replica to apply the change before answering. The
 * write is committed either way; past this (the database slow, a full reload ahead of it in the
 * queue) the answer goes and the change applies when it can.
 */
export const LOCAL_APPLY_WAIT_MS = 2_000;

/** Runs every handler on a change; resolves once all have applied it, or after LOCAL_APPLY_WAIT_MS. */
function applyHere(handlers: readonly ConfigChangeHandler[], change: ConfigChange): Promise<void> {
  const applied = Promise.all(handlers.map((handler) => handler(change)));
  return withTimeout(applied, LOCAL_APPLY_WAIT_MS, 'the change was not applied in time').then(
    () => undefined,
    () => undefined,
  );
}

/** Carries config changes to every replica's snapshot. */
export interface ConfigChangeBus extends ConfigChangeNotifier {
  subscribe(onChange: ConfigChangeHandler, onReconnect: () => void): Promise<void>;
  /** Whether announcements reach this replica now (while not, the snapshot polls the database fast). */
  hearsChanges(): boolean;
  close(): Promise<void>;
}

export const CONFIG_CHANGE_BUS = Symbol('CONFIG_CHANGE_BUS');

/** The first wait before a failed broadcast is sent again; it doubles up to the cap. */
const REPUBLISH_FIRST_MS = 250;
const REPUBLISH_MAX_MS = 5_000;

/**
 * The subscriber is asked for a PONG this often, and given this long to answer. A subscribed
 * connection only ever receives: cut off without being closed (a partition, a frozen Redis), it
 * would go on waiting for announcements that cannot reach it, with no reconnect and so no
 * catch-up reload, and a revoked key would keep working until the periodic resync (30 s).
 */
const SUBSCRIBER_PROBE_INTERVAL_MS = 500;
const SUBSCRIBER_PROBE_TIMEOUT_MS = 500;

/**
 * Redis pub/sub: a write on one replica reaches every replica within milliseconds. The replica
 * that made the write applies it at once, without waiting on Redis (a revocation holds there
 * even while Redis is unreachable), and a broadcast Redis refused is sent again until it goes
 * out, so the other replicas need not wait for their periodic resync.
 */
export class RedisConfigChangeBus implements ConfigChangeBus {
  /** Tells this replica's own messages apart: they were applied when published. */
  private readonly origin = randomUUID();
  private readonly handlers: ConfigChangeHandler[] = [];
  private listening = false;
  /** Broadcasts still to send, one per entity and id (the reload reads the latest state anyway). */
  private readonly unsent = new Map<string, ConfigChange>();
  private republishTimer: NodeJS.Timeout | null = null;
  private republishFailures = 0;
  private closed = false;
  private probeTimer: NodeJS.Timeout | null = null;
  private probing = false;
  /** The subscriber's new connection was waiting on Redis's first answers at the last probe. */
  private setupUnanswered = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly onPublishError: (error: unknown, change: ConfigChange) => void = () => undefined,
  ) {}

  /**
   * Never fails the admin write that triggered it: the change is already committed to Postgres.
   * Resolves once this replica has applied the change (so the writer's next request sees it;
   * see LOCAL_APPLY_WAIT_MS) and the broadcast went out or failed (then it is retried in the
   * background).
   */
  async publish(change: ConfigChange): Promise<void> {
    const [sent] = await Promise.all([this.broadcast(change), applyHere(this.handlers, change)]);
    if (!sent) this.retryLater(change);
  }

  async subscribe(onChange: ConfigChangeHandler, onReconnect: () => void): Promise<void> {
    this.handlers.push(onChange);
    if (!this.listening) {
      this.listening = true;
      this.subscriber.on('message', (channel: string, message: string) => {
        if (channel !== this.channel) return;
        let change: ConfigChange & { origin?: string };
        try {
          change = JSON.parse(message) as ConfigChange & { origin?: string };
        } catch {
          // A malformed message cannot be acted on; the periodic resync covers it.
          return;
        }
        if (change.origin !== this.origin) this.deliver({ entity: change.entity, id: change.id });
      });
    }
    // Messages published while we were not connected are lost: every connection from now on (a
    // reconnect, or the first one of a replica that started without Redis) is followed by a
    // full resync. (Once at start too when the connection was still being made: harmless.)
    this.subscriber.on('ready', () => onReconnect());
    this.startProbe();
    await this.subscriber.subscribe(this.channel);
  }

  /** Subscribed and answering: a probe that goes unanswered drops the connection, so a partition shows within a probe. */
  hearsChanges(): boolean {
    return !this.closed && this.subscriber.status === 'ready';
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.republishTimer) clearTimeout(this.republishTimer);
    this.republishTimer = null;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    this.subscriber.disconnect();
  }

  /**
   * A PING unanswered in time drops the connection, and so does a new connection whose setup
   * Redis leaves unanswered (TCP is up, nothing comes back: ioredis would wait on it for ever).
   * ioredis then reconnects and subscribes again, and each new connection is followed by a full
   * reload (above), which reads what was missed from the database. While Redis stays
   * unreachable, the reconnects go on.
   */
  private startProbe(): void {
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setInterval(() => void this.probe(), SUBSCRIBER_PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    if (this.probing || this.closed) return;
    if (this.subscriber.status === 'connect') {
      // Seen at two probes in a row: unanswered for at least one probe interval.
      if (this.setupUnanswered) this.dropConnection();
      this.setupUnanswered = !this.setupUnanswered;
      return;
    }
    this.setupUnanswered = false;
    if (this.subscriber.status !== 'ready') return;
    this.probing = true;
    try {
      await withTimeout(this.subscriber.ping(), SUBSCRIBER_PROBE_TIMEOUT_MS, 'the config change subscriber did not answer');
    } catch {
      if (this.subscriber.status === 'ready') this.dropConnection();
    } finally {
      this.probing = false;
    }
  }

  /** As the network would: ioredis sees the connection close, and reconnects. */
  private dropConnection(): void {
    if (!this.closed) this.subscriber.stream?.destroy();
  }

  /** Another replica's change: applied in the background (handlers never reject). */
  private deliver(change: ConfigChange): void {
    for (const handler of this.handlers) void handler(change);
  }

  private async broadcast(change: ConfigChange): Promise<boolean> {
    try {
      await this.publisher.publish(this.channel, JSON.stringify({ entity: change.entity, id: change.id, origin: this.origin }));
      return true;
    } catch (error) {
      this.onPublishError(error, change);
      return false;
    }
  }

  private retryLater(change: ConfigChange): void {
    this.unsent.set(configChangeKey(change), change);
    if (this.republishTimer || this.closed) return;
    const delay = Math.min(REPUBLISH_MAX_MS, REPUBLISH_FIRST_MS * 2 ** this.republishFailures);
    this.republishTimer = setTimeout(() => void this.republish(), delay);
    this.republishTimer.unref();
  }

  private async republish(): Promise<void> {
    this.republishTimer = null;
    const changes = [...this.unsent.values()];
    this.unsent.clear();
    const sent = await Promise.all(changes.map((change) => this.broadcast(change)));
    this.republishFailures = sent.every(Boolean) ? 0 : this.republishFailures + 1;
    changes.forEach((change, i) => {
      if (!sent[i]) this.retryLater(change);
    });
  }
}

/** Standalone mode: one process, so an in-process emitter is the whole bus. */
export class LocalConfigChangeBus implements ConfigChangeBus {
  private handlers: ConfigChangeHandler[] = [];

  /** Resolves once the change is applied (or after LOCAL_APPLY_WAIT_MS), as the Redis bus does here. */
  publish(change: ConfigChange): Promise<void> {
    return applyHere(this.handlers, change);
  }

  async subscribe(onChange: ConfigChangeHandler): Promise<void> {
    this.handlers.push(onChange);
  }

  /** In process: every change is heard. */
  hearsChanges(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.handlers = [];
  }
}
