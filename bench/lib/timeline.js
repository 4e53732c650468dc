'use strict';
/**
 * `npm run bench -- --timeline`: where an isolated request's time goes.
 *
 * Preloaded (`--require`) into a Node proxy with $TOLLGATE_BENCH_TIMELINE set, it records, from
 * public diagnostics channels only, when each stage of a proxied request happened (system
 * monotonic clock, so the bench can match its own phase windows), and at exit writes the stage
 * times of every request that ran alone: the previous request had ended before it arrived, so
 * every mark in between is its own. Stages: the request object exists (node:http) → the route
 * handler starts (Fastify, when present) → the upstream request is created (undici) → its
 * headers are written → the upstream answers → its body has ended → the response is ended.
 *
 * run.js keeps the requests of the fixed-rate phase (summarise) and prints p50/p90 per step.
 */
const dc = require('node:diagnostics_channel');
const fs = require('node:fs');
const http = require('node:http');

const STAGES = ['request', 'handler', 'upstream created', 'upstream sent', 'upstream answered', 'upstream body ended', 'response ended'];
const monoUs = () => Number(process.hrtime.bigint() / 1000n);

function record(output) {
  const marks = [];
  const mark = (stage) => marks.push(stage, monoUs());
  const channel = (name, stage) => dc.subscribe(name, () => mark(stage));
  channel('http.server.request.start', 'request');
  channel('tracing:fastify.request.handler:start', 'handler');
  channel('undici:request:create', 'upstream created');
  channel('undici:client:sendHeaders', 'upstream sent');
  channel('undici:request:headers', 'upstream answered');
  channel('undici:request:trailers', 'upstream body ended');
  const end = http.ServerResponse.prototype.end;
  http.ServerResponse.prototype.end = function endWithMark(...args) {
    mark('response ended');
    return end.apply(this, args);
  };

  /**
   * Requests that ran alone (the one before had ended when it arrived, and it had ended when
   * the next arrived), each as { stage: monotonic µs } of the first mark of each stage.
   */
  const aloneRequests = () => {
    const requests = [];
    let current = null;
    let arrivedAlone = false;
    const keep = () => {
      if (current && arrivedAlone && current['response ended'] !== undefined) requests.push(current);
    };
    for (let i = 0; i < marks.length; i += 2) {
      const stage = marks[i];
      if (stage === 'request') {
        keep();
        arrivedAlone = current === null || current['response ended'] !== undefined;
        current = {};
      }
      if (current && current[stage] === undefined) current[stage] = marks[i + 1];
    }
    keep();
    return requests;
  };

  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    try {
      fs.writeFileSync(output, JSON.stringify({ stages: STAGES, requests: aloneRequests() }));
    } catch {
      /* the bench reports the timeline as missing */
    }
  };
  process.on('exit', write);
  // Nest ends its SIGTERM shutdown by raising the signal again, so 'exit' never fires there:
  // write at the signal, then step aside so that the re-raised signal ends the process.
  const onSigterm = () => {
    process.removeListener('SIGTERM', onSigterm);
    write();
  };
  process.on('SIGTERM', onSigterm);
}

/**
 * p50/p90 µs of each step, over the requests that started inside the window and passed every
 * stage this proxy has, in order (a bare node:http server has no route handler).
 */
function summarise(file, window) {
  let data;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return { requests: 0, steps: [], missing: `no timeline written (${file})` };
  }
  const inWindow = data.requests.filter((request) => request.request >= window.startUs && request.request <= window.endUs);
  const present = data.stages.filter((stage) => inWindow.some((request) => request[stage] !== undefined));
  const complete = inWindow.filter((request) => present.every((stage, i) => request[stage] !== undefined && (i === 0 || request[stage] >= request[present[i - 1]])));
  const percentile = (values, p) => values[Math.min(values.length - 1, Math.floor(values.length * p))];
  const steps = [];
  for (let i = 1; i < present.length; i++) {
    const micros = complete.map((request) => request[present[i]] - request[present[i - 1]]).sort((a, b) => a - b);
    steps.push({ from: present[i - 1], to: present[i], p50Us: percentile(micros, 0.5), p90Us: percentile(micros, 0.9) });
  }
  return { requests: complete.length, steps };
}

if (process.env.TOLLGATE_BENCH_TIMELINE) record(process.env.TOLLGATE_BENCH_TIMELINE);

module.exports = { summarise };
