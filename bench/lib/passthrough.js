'use strict';
/**
 * Do-nothing Node pass-through proxy: the floor any Node gateway can reach. Forwards every
 * request to UPSTREAM_ORIGIN with a pooled keep-alive undici agent and pipes the answer back
 * unchanged (so SSE streams chunk by chunk). Runs as its own child process; reports its port
 * over IPC.
 */
const http = require('node:http');
const { pipeline } = require('node:stream');
const { Agent } = require('undici');

const ORIGIN = process.env.UPSTREAM_ORIGIN;
if (!ORIGIN) throw new Error('UPSTREAM_ORIGIN is required');
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 256 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'proxy-connection', 'upgrade', 'te', 'trailer']);

function cleanHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP.has(name.toLowerCase())) out[name] = value;
  return out;
}

const server = http.createServer(async (req, res) => {
  try {
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const upstream = await agent.request({
      origin: ORIGIN,
      path: req.url,
      method: req.method,
      headers: cleanHeaders(req.headers),
      body: hasBody ? req : undefined,
    });
    res.writeHead(upstream.statusCode, cleanHeaders(upstream.headers));
    pipeline(upstream.body, res, () => {});
  } catch (error) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: String(error && error.message), type: 'proxy_error' } }));
  }
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  if (process.send) process.send({ ready: true, port });
  else console.log(`pass-through on http://127.0.0.1:${port} -> ${ORIGIN}`);
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
