import { EventEmitter } from 'node:events';
import { ConfigChange, ConfigChangeNotifier } from '@tollgate/common';
import Redis from 'ioredis';

export type ConfigChangeHandler = (change: ConfigChange) => void;

/** Carries config changes to every replica's snapshot. */
export interface ConfigChangeBus extends ConfigChangeNotifier {
  subscribe(onChange: ConfigChangeHandler, onReconnect: () => void): Promise<void>;
  close(): Promise<void>;
}

export const CONFIG_CHANGE_BUS = Symbol('CONFIG_CHANGE_BUS');

/** Redis pub/sub: a write on one replica reaches every replica within milliseconds. */
export class RedisConfigChangeBus implements ConfigChangeBus {
  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly onPublishError: (error: unknown, change: ConfigChange) => void = () => undefined,
  ) {}

  /**
   * Never fails the admin write that triggered it: the change is already committed to Postgres,
   * and replicas that miss the message catch up on their resync after Redis returns.
   */
  async publish(change: ConfigChange): Promise<void> {
    try {
      await this.publisher.publish(this.channel, JSON.stringify(change));
    } catch (error) {
      this.onPublishError(error, change);
    }
  }

  async subscribe(onChange: ConfigChangeHandler, onReconnect: () => void): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        onChange(JSON.parse(message) as ConfigChange);
      } catch {
        // A malformed message cannot be acted on; the periodic resync covers it.
      }
    });
    // Messages published while we were not connected are lost: every connection from now on (a
    // reconnect, or the first one of a replica that started without Redis) is followed by a
    // full resync. (Once at start too when the connection was still being made: harmless.)
    this.subscriber.on('ready', () => onReconnect());
    await this.subscriber.subscribe(this.channel);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
  }
}

/** Standalone mode: one process, so an in-process emitter is the whole bus. */
export class LocalConfigChangeBus implements ConfigChangeBus {
  private readonly emitter = new EventEmitter();

  async publish(change: ConfigChange): Promise<void> {
    this.emitter.emit('change', change);
  }

  async subscribe(onChange: ConfigChangeHandler): Promise<void> {
    this.emitter.on('change', onChange);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
