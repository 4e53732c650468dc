'use strict';
/**
 * Preloaded (`--require`) into a Node proxy by `npm run bench -- --timeline`: records, from
 * public diagnostics channels only, when each stage of a proxied request happened, and at exit
 * writes the per-stage p50/p90 of isolated requests to $TOLLGATE_BENCH_TIMELINE (JSON).
 *
 * Stages: the request object exists (node:http) → the route handler starts (Fastify, when
 * present) → the upstream request is created (undici) → its headers are written → the upstream
 * answers → its body has ended → the response is ended. "Isolated" requests are those that
 * arrived more than 5 ms after the previous one: in practice the fixed-rate phase, where one
 * request is in flight at a time, so every stage belongs to that request.
 */
const dc = require('node:diagnostics_channel');
const fs = require('node:fs');
const http = require('node:http');

const OUTPUT = process.env.TOLLGATE_BENCH_TIMELINE;
const ISOLATION_MS = 5;
const STAGES = ['request', 'handler', 'upstream created', 'upstream sent', 'upstream answered', 'upstream body ended', 'response ended'];

const marks = [];
const mark = (stage) => marks.push(stage, performance.now());
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

/** The first time of each stage, per request that arrived alone. */
function isolatedRequests() {
  const requests = [];
  let current = null;
  let previousStart = -Infinity;
  for (let i = 0; i < marks.length; i += 2) {
    const stage = marks[i];
    const at = marks[i + 1];
    if (stage === 'request') {
      current = at - previousStart > ISOLATION_MS ? {} : null;
      previousStart = at;
      if (current) requests.push(current);
    }
    if (current && current[stage] === undefined) current[stage] = at;
  }
  return requests;
}

function summary() {
  const requests = isolatedRequests();
  // Stages this proxy has (a bare node:http server has no route handler), in order.
  const present = STAGES.filter((stage) => requests.some((request) => request[stage] !== undefined));
  const complete = requests.filter((request) => present.every((stage) => request[stage] !== undefined));
  const percentile = (values, p) => values[Math.min(values.length - 1, Math.floor(values.length * p))];
  const steps = [];
  for (let i = 1; i < present.length; i++) {
    const micros = complete.map((request) => (request[present[i]] - request[present[i - 1]]) * 1000).sort((a, b) => a - b);
    steps.push({ from: present[i - 1], to: present[i], p50Us: Math.round(percentile(micros, 0.5)), p90Us: Math.round(percentile(micros, 0.9)) });
  }
  return { requests: complete.length, steps };
}

function write() {
  try {
    fs.writeFileSync(OUTPUT, JSON.stringify(summary()));
  } catch {
    /* the bench reports the timeline as missing */
  }
}

if (OUTPUT) {
  process.on('exit', write);
  // Nest ends its SIGTERM shutdown by raising the signal again, so 'exit' never fires there:
  // write at the signal, then step aside so that the re-raised signal ends the process.
  const onSigterm = () => {
    process.removeListener('SIGTERM', onSigterm);
    write();
  };
  process.on('SIGTERM', onSigterm);
}
