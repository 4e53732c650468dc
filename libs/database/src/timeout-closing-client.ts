import { Client } from 'pg';

/**
 * A Postgres connection that closes itself when one of its queries times out (query_timeout).
 * pg rejects the query but keeps the connection, still waiting for that answer, and the pool
 * hands it out again: after a blackholed Postgres (a partition, a failover to another address)
 * was back, every query given that connection timed out in turn until the kernel gave up on the
 * socket, about 15 minutes (the worker retried an event on it every 35 s, recording nothing).
 * Closed, it leaves the pool, which opens a new one.
 */
export class TimeoutClosingClient extends Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (error: unknown, result: unknown) => {
        this.closeIfTimedOut(error);
        last(error, result);
      };
      return (super.query as (...queryArgs: unknown[]) => unknown)(...args);
    }
    const result = (super.query as (...queryArgs: unknown[]) => unknown)(...args);
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        this.closeIfTimedOut(error);
        throw error;
      });
    }
    return result;
  }

  private closeIfTimedOut(error: unknown): void {
    // pg's own message for query_timeout; end() destroys the socket of a connection with a query outstanding.
    if (error instanceof Error && error.message === 'Query read timeout') void this.end().catch(() => undefined);
  }
}
