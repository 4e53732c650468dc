import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The event-loop delay sampler wakes the loop this often. prom-client's default (10 ms) costs
 * ~10 ms of CPU per second on a virtualised core, i.e. 0.1 ms per request at 100 req/s, more than
 * the gateway's counters themselves; every 100 ms costs a tenth of that and still samples 150
 * times per 15-second scrape. (prom-client's nodejs_eventloop_lag_p*_seconds are the intervals
 * between samples, so they read 0.1 s plus the delay; the README says so.)
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/** Node's own metrics (CPU, memory, event-loop delay, GC) into `registry`, as both apps serve them. */
export function collectRuntimeMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
}

/**
 * The provider label of a request or event: only a provider it was routed to (it has a
 * setting), else "none". Names taken from the URL (an unknown custom provider, say) would let
 * clients create series at will.
 */
export function providerLabel(provider: string, settingId: string | null): string {
  return settingId !== null && provider !== '' ? provider : 'none';
}

/**
 * A counter whose totals a library keeps (it knows nothing of the app's registry), read at each
 * scrape, one series per label value. Every value the library counts is there from the first
 * scrape, at 0 until it happens: `increase()` and an alert on it then see the first occurrence.
 */
export function mirroredCounter<Label extends string>(config: {
  name: string;
  help: string;
  labelName: Label;
  registers: Registry[];
  read: () => Readonly<Record<string, number>>;
}): Counter<Label> {
  const { labelName, read } = config;
  return new Counter({
    name: config.name,
    help: config.help,
    labelNames: [labelName],
    registers: config.registers,
    collect() {
      // The totals only grow: set from them, the counter stays monotonic.
      this.reset();
      for (const [value, total] of Object.entries(read())) this.inc({ [labelName]: value } as Record<Label, string>, total);
    },
  });
}
