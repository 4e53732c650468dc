import { ShutdownSignal } from '@nestjs/common';

/** What Node was told to do on a signal, as far as stopping the process is concerned. */
export interface NodeSignalUse {
  /** Node's own flags: `process.execArgv` and `NODE_OPTIONS`. */
  nodeArgs: string[];
  /** `process.report.reportOnSignal` and `process.report.signal`. */
  report: { reportOnSignal: boolean; signal: string };
}

/**
 * The signals on which the process shuts down gracefully: Nest's usual set, minus the ones Node
 * has been told to use for diagnostics (`--heapsnapshot-signal`, `--report-on-signal`). Nest's
 * default would otherwise stop the gateway on the very signal an operator sends to take a heap
 * snapshot or a diagnostic report of it.
 */
export function shutdownSignals(use: NodeSignalUse = currentSignalUse()): ShutdownSignal[] {
  const diagnostic = new Set<string>();
  const args = use.nodeArgs;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = splitFlag(args[i]);
    if (flag !== '--heapsnapshot-signal') continue;
    const value = inline ?? args[i + 1];
    if (value) diagnostic.add(value.toUpperCase());
  }
  if (use.report.reportOnSignal) diagnostic.add(use.report.signal.toUpperCase());
  return Object.values(ShutdownSignal).filter((signal) => !diagnostic.has(signal));
}

function splitFlag(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return eq === -1 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
}

function currentSignalUse(): NodeSignalUse {
  const nodeOptions = (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  return {
    nodeArgs: [...process.execArgv, ...nodeOptions],
    report: { reportOnSignal: process.report?.reportOnSignal ?? false, signal: process.report?.signal ?? 'SIGUSR2' },
  };
}
