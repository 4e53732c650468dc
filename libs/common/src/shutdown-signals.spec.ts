import { ShutdownSignal } from '@nestjs/common';
import { shutdownSignals } from './shutdown-signals';

const noReport = { reportOnSignal: false, signal: 'SIGUSR2' };

describe('shutdownSignals', () => {
  it("is Nest's whole set when Node uses no signal for diagnostics", () => {
    expect(shutdownSignals({ nodeArgs: ['--enable-source-maps'], report: noReport })).toEqual(Object.values(ShutdownSignal));
  });

  it('leaves out the heap snapshot signal, in either flag form', () => {
    for (const nodeArgs of [['--heapsnapshot-signal=SIGUSR2'], ['--heapsnapshot-signal', 'SIGUSR2'], ['--heapsnapshot-signal=sigusr2']]) {
      const signals = shutdownSignals({ nodeArgs, report: noReport });
      expect(signals).not.toContain(ShutdownSignal.SIGUSR2);
      expect(signals).toContain(ShutdownSignal.SIGTERM);
      expect(signals).toContain(ShutdownSignal.SIGINT);
    }
  });

  it('leaves out the diagnostic report signal when reports are taken on a signal', () => {
    const signals = shutdownSignals({ nodeArgs: [], report: { reportOnSignal: true, signal: 'SIGHUP' } });
    expect(signals).not.toContain(ShutdownSignal.SIGHUP);
    expect(signals).toContain(ShutdownSignal.SIGUSR2);
  });

  it('reads NODE_OPTIONS of the running process by default', () => {
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--max-old-space-size=512 --heapsnapshot-signal=SIGUSR2';
    try {
      expect(shutdownSignals()).not.toContain(ShutdownSignal.SIGUSR2);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
    expect(shutdownSignals()).toContain(ShutdownSignal.SIGUSR2);
  });
});
