import { constants } from 'node:os';
import { Logger } from './logger';
import { shutdownSignals } from './shutdown-signals';

/**
 * Stops the process on a shutdown signal (SIGTERM from Kubernetes, Ctrl-C): runs `close`, then
 * exits 0, or 1 when closing failed. The process exits itself, not by the signal re-sent to it
 * (Nest's way): as PID 1 in a container the kernel ignores that signal, so a stop waited for
 * the whole grace period and ended in SIGKILL; elsewhere the exit code was 143 ("Error" to
 * Kubernetes). A second signal while closing exits at once, and so does a close still running
 * after `deadlineMs` (exit 1): a step its own timeout missed (a client waiting on an unreachable
 * Redis) must not hold the process until the orchestrator's SIGKILL.
 */
export function exitOnShutdownSignals(close: (signal: string) => Promise<void>, logger: Logger, deadlineMs: number, signals: string[] = shutdownSignals()): void {
  let closing = false;
  const onSignal = (signal: string) => {
    if (closing) {
      logger.warn({ signal }, 'second shutdown signal: exiting now');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown did not finish in time: exiting now');
      process.exit(1);
    }, deadlineMs).unref();
    close(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
}

/**
 * Until the process has started (waiting for Postgres, for another replica's migrations, running
 * its own, connecting), a shutdown signal ends it at once: there is nothing to drain yet, and a
 * migration cut short is rolled back by Postgres. Without a handler Node dies of the signal, but
 * as PID 1 in a container the kernel ignores it: a replica waiting for Postgres or for a long
 * migration held its pod until SIGKILL. The exit code is the signal's (128 + its number), as
 * without a handler: a migration Job stopped halfway must not count as done. Returns the function
 * that removes the handler, to call once exitOnShutdownSignals has taken over.
 */
export function exitOnSignalsUntilStarted(logger: Logger, signals: string[] = shutdownSignals()): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.warn({ signal }, 'shutdown signal before the start completed: exiting now');
    process.exit(128 + (constants.signals[signal] ?? 0));
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
