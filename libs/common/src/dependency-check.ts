import { withTimeout } from './with-timeout';

/** A readiness check's answer for one dependency. */
export type DependencyStatus = 'ok' | 'down';

/**
 * Runs a readiness check on a dependency (Postgres, Redis), bounded: a dependency blackholed
 * rather than refusing answers "down" within `timeoutMs`, well inside a probe's own timeout.
 */
export async function checkDependency(run: () => Promise<unknown>, timeoutMs = DEPENDENCY_CHECK_TIMEOUT_MS): Promise<DependencyStatus> {
  try {
    await withTimeout(run(), timeoutMs, 'the dependency check timed out');
    return 'ok';
  } catch {
    return 'down';
  }
}

export const DEPENDENCY_CHECK_TIMEOUT_MS = 1_000;
