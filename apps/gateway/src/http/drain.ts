import { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How often connections that finished their last response are closed while draining. */
const SWEEP_INTERVAL_MS = 100;

/**
 * Stops the servers accepting connections and waits, up to `drainMs`, until the connections they
 * have are gone. `server.close()` closes the idle ones once; a keep-alive connection whose
 * response ends later would stay open until the client or the keep-alive timeout closed it, and
 * every stop under traffic would last the whole drain. So connections are closed as soon as their
 * response ends (a sweep of idle ones every 100 ms), and answers given meanwhile say
 * `connection: close`, so no client sends another request on a connection about to go.
 *
 * At the deadline the connections still open are cut; `onCut` is told how many there were
 * before (only then: a stop without busy connections is not a cut).
 */
export async function drainServers(servers: readonly Server[], drainMs: number, onCut: (connections: number) => void): Promise<void> {
  for (const server of servers) server.prependListener('request', closeAfterResponse);
  const closed = Promise.all(servers.map(closeServer));
  const sweep = (): void => {
    for (const server of servers) server.closeIdleConnections();
  };
  sweep();
  const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
  let deadline: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([closed.then(() => 'drained' as const), new Promise<'deadline'>((resolve) => (deadline = setTimeout(() => resolve('deadline'), drainMs)))]);
    if (outcome === 'drained') return;
    const open = await Promise.all(servers.map(openConnections));
    onCut(open.reduce((sum, count) => sum + count, 0));
    for (const server of servers) server.closeAllConnections();
    await closed;
  } finally {
    clearInterval(sweeper);
    clearTimeout(deadline);
  }
}

function closeAfterResponse(_request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('connection', 'close');
}

/** Resolves when the server has stopped and its last connection has ended. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

function openConnections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)));
}
