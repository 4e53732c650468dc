/**
 * What a failed start prints. A start that failed on its surroundings (a port taken, an address
 * the host does not have, a service refusing connections, a database or role that does not
 * exist) gets one line naming what to check; anything else is a fault of the process itself,
 * and gets its stack.
 */
export function describeStartupFailure(error: unknown): string {
  // Not instanceof: errors from another realm (Node's own, seen from a VM context) are errors too.
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string') return String(error);
  const { code, address, port, hostname, message, stack } = error as Error & { code?: unknown; address?: unknown; port?: unknown; hostname?: unknown };
  const where = typeof address === 'string' ? `${address}${typeof port === 'number' ? `:${port}` : ''}` : typeof hostname === 'string' ? hostname : '';
  switch (code) {
    case 'EADDRINUSE':
      return `port ${where || 'in use'} is already in use: another process listens there (check PROXY_PORT, ADMIN_PORT, WORKER_METRICS_PORT)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: this host has no such address (check HOST)`;
    case 'EACCES':
      return `not allowed to listen on ${where} (ports under 1024 need privileges)`;
    case 'ECONNREFUSED':
      return `connection refused by ${where}: is the service running there? (check DATABASE_URL and REDIS_URL)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host name ${where} (check DATABASE_URL, REDIS_URL and HOST)`;
    case '3D000':
    case '28000':
    case '28P01':
      // Postgres's own message names the database or the role.
      return `Postgres refused the connection: ${message} (check DATABASE_URL)`;
    default:
      return stack ?? message;
  }
}
