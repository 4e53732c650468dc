/** Node's codes for a connection that could not be made, or was lost. */
const CONNECTION_FAILURE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** ioredis' words for a connection closed or not yet there, and Redis's for a server still loading its data after a restart. */
const UNAVAILABLE_MESSAGES = [/^Connection is closed\.$/, /^Stream isn't writeable/, /^LOADING /];

/**
 * Whether an error says Redis could not be reached (refused, reset, timed out, closed, still
 * loading after a restart): an outage, which lasts and resolves outside the process, rather
 * than a command Redis refused or a fault of the process itself.
 */
export function isRedisUnavailableError(error: unknown): boolean {
  // Not instanceof Error: socket errors come from Node's own realm, not always the caller's.
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && CONNECTION_FAILURE_CODES.has(code)) return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}
