import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Runs exitOnShutdownSignals in a process of its own (it ends the process), then signals it. */
function stopWith(closeBody: string, deadlineMs: number): { status: number | null; ms: number; output: string } {
  const script = `
    const { exitOnShutdownSignals } = require(${JSON.stringify(join(__dirname, 'exit-on-signals.ts'))});
    const logger = { info: () => undefined, warn: () => undefined, error: (fields, message) => process.stdout.write(message + '\\n') };
    exitOnShutdownSignals(() => ${closeBody}, logger, ${deadlineMs}, ['SIGTERM']);
    setInterval(() => undefined, 1000);
    setTimeout(() => process.kill(process.pid, 'SIGTERM'), 50);
  `;
  const started = Date.now();
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, ms: Date.now() - started, output: result.stdout + result.stderr };
}

describe('exitOnShutdownSignals', () => {
  it('exits 0 once the close is done', () => {
    const { status, output } = stopWith('Promise.resolve()', 5_000);
    expect({ status, output }).toEqual({ status: 0, output: '' });
  });

  it('exits 1 at the deadline when a close never ends, saying so', () => {
    const { status, ms, output } = stopWith('new Promise(() => undefined)', 500);
    expect(status).toBe(1);
    expect(output).toContain('shutdown did not finish in time');
    expect(ms).toBeLessThan(10_000);
  });
});
