'use strict';
/**
 * `npm run bench -- --timeline`: where a request's time goes.
 *
 * Preloaded (`--require`) into a Node proxy with $TOLLGATE_BENCH_TIMELINE set, it records, from
 * public diagnostics channels only, when each stage of every proxied request happened (system
 * monotonic clock, so the bench can match its own phase windows), and at exit writes them with
 * the garbage collection pauses. Stages: the request object exists (node:http) → the route
 * handler starts (Fastify, when present) → the upstream request is created (undici) → its
 * headers are written → the upstream answers → the client gets its first bytes → the upstream
 * body has ended → the response is ended.
 *
 * Server-side marks are tied to their request through the request object; undici's through the
 * async context the handler runs in (an AsyncLocalStorage entered where the handler starts), so
 * concurrent requests each get their own marks.
 *
 * run.js summarises the fixed-rate phase and the concurrent streams (summarise).
 */
const dc = require('node:diagnostics_channel');
const fs = require('node:fs');
const http = require('node:http');
const { AsyncLocalStorage } = require('node:async_hooks');
const { PerformanceObserver, performance } = require('node:perf_hooks');

const STAGES = ['request', 'handler', 'upstream created', 'upstream sent', 'upstream answered', 'first bytes out', 'upstream body ended', 'response ended'];
/** The steps summarised: a plain answer's first bytes go out with its end, a stream's long before. */
const STEPS_NON_STREAMING = STAGES.filter((stage) => stage !== 'first bytes out');
const STEPS_STREAMING = STAGES.filter((stage) => stage !== 'upstream body ended' && stage !== 'response ended');
const monoUs = () => Number(process.hrtime.bigint() / 1000n);

function record(output) {
  const traces = [];
  const byServerRequest = new WeakMap();
  const byUpstreamRequest = new WeakMap();
  const current = new AsyncLocalStorage();
  const mark = (trace, stage) => {
    if (trace && trace[stage] === undefined) trace[stage] = monoUs();
  };

  dc.subscribe('http.server.request.start', ({ request }) => {
    const trace = { request: monoUs() };
    traces.push(trace);
    byServerRequest.set(request, trace);
    // A bare node:http server runs its handler straight after this, in this context.
    current.enterWith(trace);
  });
  dc.subscribe('tracing:fastify.request.handler:start', ({ request }) => {
    const trace = byServerRequest.get(request.raw);
    mark(trace, 'handler');
    // Fastify calls the handler from the body's end, in another context than the request's start.
    if (trace) current.enterWith(trace);
  });
  dc.subscribe('undici:request:create', ({ request }) => {
    const trace = current.getStore();
    if (!trace) return;
    byUpstreamRequest.set(request, trace);
    mark(trace, 'upstream created');
  });
  const upstreamStage = (name, stage) => dc.subscribe(name, ({ request }) => mark(byUpstreamRequest.get(request), stage));
  upstreamStage('undici:client:sendHeaders', 'upstream sent');
  upstreamStage('undici:request:headers', 'upstream answered');
  upstreamStage('undici:request:trailers', 'upstream body ended');

  const { write, end } = http.ServerResponse.prototype;
  http.ServerResponse.prototype.write = function writeWithMark(...args) {
    mark(byServerRequest.get(this.req), 'first bytes out');
    return write.apply(this, args);
  };
  http.ServerResponse.prototype.end = function endWithMark(...args) {
    const trace = byServerRequest.get(this.req);
    mark(trace, 'first bytes out');
    mark(trace, 'response ended');
    return end.apply(this, args);
  };

  // Garbage collection pauses, on the same clock: performance time is monotonic too, from its origin.
  const pauses = [];
  const performanceOffsetUs = monoUs() - performance.now() * 1000;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push({ startUs: Math.round(performanceOffsetUs + entry.startTime * 1000), durationUs: Math.round(entry.duration * 1000) });
  }).observe({ entryTypes: ['gc'] });

  let written = false;
  const write_ = () => {
    if (written) return;
    written = true;
    try {
      fs.writeFileSync(output, JSON.stringify({ stages: STAGES, requests: traces.filter((trace) => trace['response ended'] !== undefined), pauses }));
    } catch {
      /* the bench reports the timeline as missing */
    }
  };
  process.on('exit', write_);
  // Nest ends its SIGTERM shutdown by raising the signal again, so 'exit' never fires there:
  // write at the signal, then step aside so that the re-raised signal ends the process.
  const onSigterm = () => {
    process.removeListener('SIGTERM', onSigterm);
    write_();
  };
  process.on('SIGTERM', onSigterm);
}

/**
 * The requests that started inside the window and passed every stage this proxy has, in order (a
 * bare node:http server has no route handler), split into those that ran alone (no other request
 * in the gateway at any moment of theirs) and those that overlapped another. For each group: p50
 * and p90 µs of each step. For the slowest requests: their steps, and the garbage collection pause
 * time from 10 ms before they arrived (a pause delays the arrival's own mark) to their end. And
 * the pauses of the window.
 */
function summarise(file, window, { stages = STEPS_NON_STREAMING, slowest = 10 } = {}) {
  let data;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return { requests: 0, steps: [], slowest: [], missing: `no timeline written (${file})` };
  }
  const inWindow = data.requests.filter((request) => request.request >= window.startUs && request.request <= window.endUs);
  const present = stages.filter((stage) => inWindow.some((request) => request[stage] !== undefined));
  const complete = inWindow.filter((request) => present.every((stage) => request[stage] !== undefined));
  const last = present[present.length - 1];
  const ended = 'response ended';
  const byArrival = [...complete].sort((a, b) => a.request - b.request);
  const alone = new Set();
  let endedBefore = -Infinity;
  byArrival.forEach((request, i) => {
    const next = byArrival[i + 1];
    if (endedBefore < request.request && (!next || request[ended] < next.request)) alone.add(request);
    endedBefore = Math.max(endedBefore, request[ended]);
  });
  const overlapped = byArrival.filter((request) => !alone.has(request));
  const percentile = (values, p) => values[Math.min(values.length - 1, Math.floor(values.length * p))];
  const stepsOf = (requests) => {
    const steps = [];
    for (let i = 1; i < present.length; i++) {
      const micros = requests.map((request) => request[present[i]] - request[present[i - 1]]).sort((a, b) => a - b);
      steps.push({ from: present[i - 1], to: present[i], p50Us: percentile(micros, 0.5), p90Us: percentile(micros, 0.9) });
    }
    return steps;
  };
  const pauses = (data.pauses || []).filter((pause) => pause.startUs + pause.durationUs >= window.startUs && pause.startUs <= window.endUs);
  const pauseUsBetween = (fromUs, toUs) =>
    pauses.reduce((sum, pause) => sum + Math.max(0, Math.min(toUs, pause.startUs + pause.durationUs) - Math.max(fromUs, pause.startUs)), 0);
  const slow = [...complete]
    .sort((a, b) => b[last] - b.request - (a[last] - a.request))
    .slice(0, slowest)
    .map((request) => ({
      totalUs: request[last] - request.request,
      stepsUs: present.slice(1).map((stage, i) => request[stage] - request[present[i]]),
      gcUs: pauseUsBetween(request.request - 10_000, request[last]),
      alone: alone.has(request),
    }));
  const pauseMicros = pauses.map((pause) => pause.durationUs).sort((a, b) => a - b);
  return {
    requests: alone.size,
    steps: stepsOf([...alone]),
    overlapped: overlapped.length > 0 ? { requests: overlapped.length, steps: stepsOf(overlapped) } : null,
    slowest: slow,
    pauses: { count: pauses.length, totalUs: pauseMicros.reduce((a, b) => a + b, 0), maxUs: pauseMicros[pauseMicros.length - 1] || 0 },
  };
}

if (process.env.TOLLGATE_BENCH_TIMELINE) record(process.env.TOLLGATE_BENCH_TIMELINE);

module.exports = { summarise, STEPS_STREAMING };
