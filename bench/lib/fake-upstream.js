'use strict';
/**
 * Fake OpenAI upstream for the bench. Runs as its own child process (forked by run.js) so
 * its CPU never mixes with the measured process. Reports its port over IPC.
 *
 *   POST /v1/chat/completions            -> chat.completion JSON (~300 bytes of content)
 *   POST /v1/chat/completions stream:true -> text/event-stream of chat.completion.chunk events
 *
 * Env: FAKE_STREAM_CHUNKS (default 10), FAKE_CHUNK_DELAY_MS (default 5).
 */
const http = require('node:http');

const CHUNKS = Number(process.env.FAKE_STREAM_CHUNKS || 10);
const DELAY_MS = Number(process.env.FAKE_CHUNK_DELAY_MS || 5);

// ~300 bytes of assistant content.
const CONTENT =
  'Hello! This is a fake completion produced by the Tollgate benchmark upstream. It stands in for ' +
  'OpenAI so that the gateway overhead can be measured without network noise. The text is long ' +
  'enough to look like a short real answer, about three hundred bytes in total, nothing more. OK.';
const PIECES = splitInto(CONTENT, CHUNKS);
const USAGE = { prompt_tokens: 9, completion_tokens: 62, total_tokens: 71 };

function splitInto(text, n) {
  const size = Math.ceil(text.length / n);
  const out = [];
  for (let i = 0; i < n; i++) out.push(text.slice(i * size, (i + 1) * size));
  return out;
}

let counter = 0;
function completionJson(model) {
  return JSON.stringify({
    id: `chatcmpl-bench${++counter}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, message: { role: 'assistant', content: CONTENT, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: USAGE,
  });
}

function chunk(id, created, model, choices, usage) {
  const obj = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_bench', choices };
  if (usage !== undefined) obj.usage = usage;
  return `data: ${JSON.stringify(obj)}\n\n`;
}

function stream(res, body) {
  const id = `chatcmpl-bench${++counter}`;
  const created = Math.floor(Date.now() / 1000);
  const model = typeof body.model === 'string' ? body.model : 'gpt-4o-mini';
  const includeUsage = !!(body.stream_options && body.stream_options.include_usage === true);
  const usageField = includeUsage ? null : undefined;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let i = 0;
  let timer = null;
  const next = () => {
    timer = null;
    if (res.destroyed) return;
    const delta = i === 0 ? { role: 'assistant', content: PIECES[0] } : { content: PIECES[i] };
    res.write(chunk(id, created, model, [{ index: 0, delta, logprobs: null, finish_reason: null }], usageField));
    i++;
    if (i < PIECES.length) {
      timer = setTimeout(next, DELAY_MS);
      return;
    }
    let tail = chunk(id, created, model, [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usageField);
    if (includeUsage) tail += chunk(id, created, model, [], USAGE);
    tail += 'data: [DONE]\n\n';
    res.end(tail);
  };
  res.on('close', () => {
    if (timer) clearTimeout(timer);
  });
  next();
}

function sendJson(res, status, text) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && (path === '/v1/chat/completions' || path === '/chat/completions')) {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        return sendJson(res, 400, JSON.stringify({ error: { message: 'invalid JSON', type: 'invalid_request_error' } }));
      }
      if (body.stream === true) return stream(res, body);
      return sendJson(res, 200, completionJson(typeof body.model === 'string' ? body.model : 'gpt-4o-mini'));
    }
    if (req.method === 'GET' && path === '/health') return sendJson(res, 200, '{"ok":true}');
    sendJson(res, 404, JSON.stringify({ error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } }));
  });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  if (process.send) process.send({ ready: true, port });
  else console.log(`fake upstream on http://127.0.0.1:${port}`);
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
