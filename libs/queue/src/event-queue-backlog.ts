import { QueueKeys } from 'bullmq';
import Redis from 'ioredis';
import { QueueName } from './queue-names';

/** The events waiting for a worker: how many, and when the oldest of them was queued. */
export interface EventQueueBacklog {
  waiting: number;
  /** Epoch ms; null when none waits. A retried event keeps the time it was first queued. */
  oldestQueuedAt: number | null;
}

/**
 * One atomic step, so the oldest job read is still the list's: BullMQ pushes new jobs on the
 * left of its wait list (the paused list, the same jobs renamed, while the queue is paused) and
 * workers take them from the right. Reads two list ends and two hash fields, whatever the backlog.
 */
const BACKLOG_SCRIPT = `
local function queuedAt(list)
  local id = redis.call('LINDEX', list, -1)
  if not id then return false end
  return redis.call('HGET', ARGV[1] .. id, 'timestamp')
end
return { redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]), queuedAt(KEYS[1]), queuedAt(KEYS[2]) }
`;

type BacklogCommand = (numKeys: number, ...args: string[]) => Promise<[number, string | null, string | null]>;

/**
 * Reads the events queue's backlog from Redis without BullMQ's queue object (which would open a
 * connection of its own): for the worker's metrics, on a connection that fails fast while Redis
 * is away. Prioritized and delayed jobs (retries waiting for their backoff) are not waiting.
 */
export class EventQueueBacklogReader {
  private readonly keys: Record<string, string>;
  private readonly command: BacklogCommand;

  constructor(redis: Redis, queuePrefix: string) {
    this.keys = new QueueKeys(queuePrefix).getKeys(QueueName.RequestEvents);
    // defineCommand sends EVALSHA, and the script again when Redis has lost it.
    if (!('tollgateEventBacklog' in redis)) redis.defineCommand('tollgateEventBacklog', { lua: BACKLOG_SCRIPT });
    this.command = (redis as unknown as Record<'tollgateEventBacklog', BacklogCommand>).tollgateEventBacklog.bind(redis);
  }

  async read(): Promise<EventQueueBacklog> {
    // '' is the queue's own prefix: a job's hash is that prefix and its id.
    const [waiting, ...queuedAt] = await this.command(2, this.keys.wait, this.keys.paused, this.keys['']);
    const times = queuedAt.filter((at): at is string => at !== null).map(Number);
    return { waiting: Number(waiting), oldestQueuedAt: times.length > 0 ? Math.min(...times) : null };
  }
}
