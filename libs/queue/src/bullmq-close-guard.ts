import { RedisConnection } from 'bullmq';

/**
 * BullMQ (5.81) closing a Redis connection that never became ready (Redis refusing its AUTH, or
 * unreachable since the start): close() removes the connection's listeners at once, and the
 * start-up it abandons then rejects and emits that error on the connection, which no longer has
 * an 'error' listener. Node throws an unhandled 'error' for it: a gateway or worker stopping while
 * Redis refused it ended in an unhandled rejection (and the test runner failed the suite). An
 * error after close is of no interest to anyone: a closed connection drops it.
 *
 * Done on the class, for every connection BullMQ makes: a Worker's blocking connection is always
 * a plain RedisConnection, whatever connection class it is given.
 */
const close = RedisConnection.prototype.close;

RedisConnection.prototype.close = function closeDroppingLateErrors(this: RedisConnection, ...args: Parameters<RedisConnection['close']>) {
  // Synchronous up to its listeners' removal when the connection never became ready.
  const closing = close.apply(this, args);
  dropLateErrors(this);
  return closing.finally(() => dropLateErrors(this));
};

function dropLateErrors(connection: RedisConnection): void {
  if (connection.listenerCount('error') === 0) connection.on('error', ignore);
}

function ignore(): void {}
