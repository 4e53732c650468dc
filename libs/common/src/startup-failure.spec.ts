import { createServer } from 'node:net';
import { describeStartupFailure } from './startup-failure';

describe('describeStartupFailure', () => {
  it('names what to check, in one line, when the surroundings failed the start', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    const second = createServer();
    const error = await new Promise<Error>((resolve) => second.once('error', resolve).listen(port, '127.0.0.1'));
    taken.close();
    const line = describeStartupFailure(error);
    expect(line).toBe(`port 127.0.0.1:${port} is already in use: another process listens there (check PROXY_PORT, ADMIN_PORT, WORKER_METRICS_PORT)`);
    expect(describeStartupFailure(Object.assign(new Error('database "nope" does not exist'), { code: '3D000' }))).toBe('Postgres refused the connection: database "nope" does not exist (check DATABASE_URL)');
  });

  it('keeps the stack of anything else: a fault of the process itself', () => {
    const fault = new TypeError('cannot read properties of undefined');
    expect(describeStartupFailure(fault)).toBe(fault.stack);
    expect(describeStartupFailure('plain')).toBe('plain');
  });
});
