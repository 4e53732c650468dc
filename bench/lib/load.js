'use strict';
/**
 * Load generators, all running in the bench (main) process:
 *  - closedLoop: autocannon with N connections for a duration; latencies are taken from
 *    autocannon's per-response event as floats (its own histogram has 1 ms resolution).
 *  - paced: open-loop fixed-rate sender (one request every 1000/rate ms) over an undici pool.
 *  - pacedAutocannon: autocannon's overallRate, which is bursty (see README).
 *  - streams: SSE requests measuring time to first content token and total time.
 */
const autocannon = require('autocannon');
const { Pool } = require('undici');

const now = () => performance.now();

function closedLoop({ url, headers, body, connections, durationS, timeoutS = 10, overallRate }) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    const statuses = {};
    const started = now();
    const instance = autocannon(
      { url, method: 'POST', headers, body, connections, pipelining: 1, duration: durationS, timeout: timeoutS, ...(overallRate ? { overallRate } : {}) },
      (error, result) => {
        if (error) return reject(error);
        const elapsedS = (now() - started) / 1000;
        const ok = latencies.length;
        resolve({
          latencies,
          ok,
          sent: result.requests.sent,
          responses: Object.values(statuses).reduce((a, b) => a + b, 0),
          statuses,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          elapsedS,
          rps: ok / elapsedS,
          autocannon: { p50: result.latency.p50, p99: result.latency.p99, reqPerSecAvg: result.requests.average },
        });
      },
    );
    instance.on('response', (client, statusCode, resBytes, responseTime) => {
      statuses[statusCode] = (statuses[statusCode] || 0) + 1;
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

/** autocannon's overallRate: each connection sends rate/connections requests back to back at the start of every second. */
function pacedAutocannon({ url, headers, body, rate, durationS, connections = 10 }) {
  return closedLoop({ url, headers, body, connections, durationS, overallRate: rate });
}

/** Open-loop fixed rate: request i is sent at start + i * (1000 / rate) ms, whatever the answers do. */
async function paced({ origin, path, headers, body, rate, durationS, connections = 16, timeoutMs = 10_000 }) {
  const pool = new Pool(origin, { connections, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 30_000 });
  const total = Math.round(rate * durationS);
  const interval = 1000 / rate;
  const latencies = [];
  const lags = [];
  const statuses = {};
  let errors = 0;
  let inFlight = 0;
  const pending = new Set();
  const fire = (scheduledAt) => {
    const t0 = now();
    lags.push(t0 - scheduledAt);
    inFlight++;
    const p = pool
      .request({ path, method: 'POST', headers, body })
      .then(async (res) => {
        await res.body.text();
        const ms = now() - t0;
        statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
        if (res.statusCode >= 200 && res.statusCode < 300) latencies.push(ms);
      })
      .catch(() => {
        errors++;
      })
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  };
  const start = now() + 5;
  let sent = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const t = now();
      while (sent < total && start + sent * interval <= t) {
        fire(start + sent * interval);
        sent++;
      }
      if (sent >= total) return resolve();
      setTimeout(tick, Math.max(0, start + sent * interval - now()));
    };
    setTimeout(tick, 5);
  });
  // Bounded wait for the stragglers.
  await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, timeoutMs + 1000))]);
  const elapsedS = (now() - start) / 1000;
  await pool.destroy().catch(() => {});
  const responses = Object.values(statuses).reduce((a, b) => a + b, 0);
  return {
    latencies,
    ok: latencies.length,
    responses,
    statuses,
    non2xx: responses - latencies.length,
    errors: errors + inFlight,
    sent,
    elapsedS,
    rps: latencies.length / elapsedS,
    scheduleLagMs: lags,
  };
}

/** One SSE request: time to first content token, total time, and whether it arrived in pieces. */
async function streamOnce(pool, path, headers, body) {
  const t0 = now();
  const out = { status: 0, ttft: null, total: null, contentEvents: 0, contentReads: 0, reads: 0, done: false, error: null };
  try {
    const res = await pool.request({ path, method: 'POST', headers, body });
    out.status = res.statusCode;
    let buf = '';
    for await (const piece of res.body) {
      out.reads++;
      buf += piece.toString('utf8');
      if (buf.includes('\r')) buf = buf.replace(/\r\n/g, '\n');
      let contentInThisRead = false;
      let idx;
      while ((idx = buf.indexOf('\n\n')) !== -1) {
        const event = buf.slice(0, idx);
        buf = buf.slice(idx + 2);
        for (const line of event.split('\n')) {
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') {
            out.done = true;
            continue;
          }
          let parsed;
          try {
            parsed = JSON.parse(data);
          } catch {
            continue;
          }
          const content = parsed && parsed.choices && parsed.choices[0] && parsed.choices[0].delta && parsed.choices[0].delta.content;
          if (typeof content === 'string' && content.length > 0) {
            out.contentEvents++;
            contentInThisRead = true;
            if (out.ttft === null) out.ttft = now() - t0;
          }
        }
      }
      if (contentInThisRead) out.contentReads++;
    }
    out.total = now() - t0;
  } catch (error) {
    out.error = String((error && error.message) || error);
    out.total = now() - t0;
  }
  out.ok = out.status === 200 && out.done && out.ttft !== null && out.error === null;
  // Not buffered: the first token arrives well before the end (the fake spreads the chunks over time).
  out.buffered = out.ok ? out.ttft >= out.total / 2 : null;
  return out;
}

async function streams({ origin, path, headers, body, warmup = 5, sequential = 50, concurrency = 10, perWorker = 5, deadlineMs = 45_000 }) {
  const pool = new Pool(origin, { connections: concurrency + 2, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const deadline = now() + deadlineMs;
  try {
    for (let i = 0; i < warmup && now() < deadline; i++) await streamOnce(pool, path, headers, body);
    const seq = [];
    for (let i = 0; i < sequential && now() < deadline; i++) seq.push(await streamOnce(pool, path, headers, body));
    const conc = [];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = 0; i < perWorker && now() < deadline; i++) conc.push(await streamOnce(pool, path, headers, body));
      }),
    );
    return { sequential: seq, concurrent: conc };
  } finally {
    await pool.destroy().catch(() => {});
  }
}

module.exports = { closedLoop, paced, pacedAutocannon, streams, streamOnce };
