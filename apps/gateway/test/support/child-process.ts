import { ChildProcess, spawn } from 'node:child_process';

/**
 * Runs `command args...` as the child of a tiny Node guard that SIGKILLs it when the test
 * process goes away (its stdin pipe closes), so a crashed or killed Jest worker never leaves a
 * gateway or a redis-server behind. The guard prints the real pid first, so tests can signal
 * the service itself (SIGSTOP/SIGCONT/SIGTERM), not the guard.
 */
const GUARD_SOURCE = `
const { spawn } = require('node:child_process');
const ownGroup = process.argv[1] === '--own-group';
const [command, ...args] = process.argv.slice(ownGroup ? 2 : 1);
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: process.env, detached: ownGroup });
process.stdout.write('tollgate-guarded-pid ' + child.pid + '\\n');
const killChild = () => { try { process.kill(child.pid, 'SIGCONT'); process.kill(child.pid, 'SIGKILL'); } catch {} };
process.stdin.on('end', () => { killChild(); process.exit(1); });
process.stdin.on('error', () => { killChild(); process.exit(1); });
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => { killChild(); process.exit(1); });
child.on('error', (error) => { process.stderr.write(String(error) + '\\n'); process.exit(127); });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
`;

export interface GuardedProcess {
  /** The service's own pid (not the guard's). */
  pid: number;
  /** Every stdout/stderr line so far. */
  lines: string[];
  /** Resolves when the service has exited. */
  exited: Promise<void>;
  /** The service's exit code once it has exited (128 when a signal ended it), else null. */
  exitCode(): number | null;
  hasExited(): boolean;
  signal(signal: NodeJS.Signals): void;
  /**
   * Signals the service's whole process group, its children included, as Ctrl-C in a terminal
   * does to a foreground job (only for a service spawned with `ownProcessGroup`).
   */
  signalGroup(signal: NodeJS.Signals): void;
  /** SIGTERM (after SIGCONT), then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves with the first line matching `match`, or rejects after `timeoutMs` or on exit. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number, what: string): Promise<string>;
}

export async function spawnGuarded(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  startTimeoutMs = 10_000,
  { ownProcessGroup = false }: { ownProcessGroup?: boolean } = {},
): Promise<GuardedProcess> {
  const guard: ChildProcess = spawn(process.execPath, ['-e', GUARD_SOURCE, '--', ...(ownProcessGroup ? ['--own-group'] : []), command, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let exited = false;
  let exitCode: number | null = null;
  const exitedPromise = new Promise<void>((resolve) =>
    guard.once('exit', (code) => {
      exited = true;
      exitCode = code;
      resolve();
    }),
  );
  const onData = (stream: NodeJS.ReadableStream) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      partial += chunk;
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) {
        lines.push(line);
        for (const listener of listeners) listener(line);
      }
    });
  };
  onData(guard.stdout!);
  onData(guard.stderr!);

  const waitForLine = (match: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const found = lines.find(match);
      if (found !== undefined) return resolve(found);
      const done = (finish: () => void) => {
        clearTimeout(timer);
        listeners.delete(listener);
        finish();
      };
      const listener = (line: string) => {
        if (match(line)) done(() => resolve(line));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output:\n${lines.slice(-40).join('\n')}`))), timeoutMs);
      listeners.add(listener);
      void exitedPromise.then(() => done(() => reject(new Error(`process exited while waiting for ${what}; output:\n${lines.slice(-40).join('\n')}`))));
    });

  const pidLine = await waitForLine((line) => line.startsWith('tollgate-guarded-pid '), startTimeoutMs, `${command} to start`).catch((error: unknown) => {
    guard.kill('SIGKILL');
    throw error;
  });
  const pid = Number(pidLine.split(' ')[1]);
  const signal = (name: NodeJS.Signals) => {
    if (exited) return;
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  return {
    pid,
    lines,
    exited: exitedPromise,
    exitCode: () => exitCode,
    hasExited: () => exited,
    signal,
    signalGroup: (name: NodeJS.Signals) => {
      if (!ownProcessGroup) throw new Error('signalGroup needs a service spawned with ownProcessGroup (else it would signal the tests too)');
      if (exited) return;
      try {
        process.kill(-pid, name);
      } catch {
        // already gone
      }
    },
    waitForLine,
    stop: async (graceMs = 3_000) => {
      if (exited) return;
      signal('SIGCONT');
      signal('SIGTERM');
      const timer = setTimeout(() => {
        signal('SIGKILL');
        guard.kill('SIGKILL');
      }, graceMs);
      await exitedPromise;
      clearTimeout(timer);
      guard.stdin?.destroy();
    },
  };
}
