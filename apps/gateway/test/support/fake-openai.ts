import { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | null;
}

/**
 * A loopback stand-in for api.openai.com that follows OpenAI's documented wire format: chat
 * completions as JSON or as `chat.completion.chunk` SSE events ending in `data: [DONE]`
 * (with the usage chunk, `choices: []`, when `stream_options.include_usage` is set),
 * embeddings, moderations, models, and OpenAI's error body with its status codes.
 *
 * Behaviour is chosen by the model name, so tests need no side channel:
 * - `fail-<status>`: an OpenAI error with that status (429 also sends retry-after)
 * - `hang`: never answers (timeouts)
 * - `html-502`: a non-JSON error page, as a broken proxy in front of a provider would send
 * - `stream-break`: streams two chunks, then kills the connection
 * - `slow-stream`: one chunk every 100 ms for 5 s (client disconnects)
 * - `no-usage`: a response without `usage` (token estimation)
 */
export class FakeOpenAI {
  readonly requests: ReceivedRequest[] = [];
  /** Requests whose response was cut short because the gateway closed the connection. */
  readonly abortedByClient: string[] = [];
  private server: Server | null = null;
  port = 0;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  lastRequest(): ReceivedRequest {
    const last = this.requests[this.requests.length - 1];
    if (!last) throw new Error('the fake upstream received no request');
    return last;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
    const path = (req.url ?? '').split('?')[0];
    this.requests.push({ method: req.method ?? '', path, headers: req.headers, body });

    if (req.headers.authorization !== 'Bearer sk-upstream-secret') {
      return sendError(res, 401, 'Incorrect API key provided: sk-****.', 'invalid_request_error', 'invalid_api_key');
    }
    const model = typeof body?.model === 'string' ? body.model : '';
    const failure = /^fail-(\d{3})$/.exec(model);
    if (failure) {
      const status = Number(failure[1]);
      if (status === 429) res.setHeader('retry-after', '7');
      return sendError(res, status, `Simulated ${status}`, status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error', status === 429 ? 'rate_limit_exceeded' : null);
    }
    if (model === 'hang') return; // never answers
    if (model === 'html-502') {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad Gateway</body></html>');
      return;
    }

    if (req.method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' }] });
    }
    if (req.method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (id !== 'gpt-4o-mini') return sendError(res, 404, `The model '${id}' does not exist`, 'invalid_request_error', 'model_not_found');
      return sendJson(res, 200, { id, object: 'model', created: 1721172741, owned_by: 'system' });
    }
    if (req.method === 'POST' && path === '/v1/embeddings') {
      const inputs = Array.isArray(body?.input) ? body!.input : [body?.input];
      return sendJson(res, 200, {
        object: 'list',
        data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.0023, -0.0093, 0.0157] })),
        model,
        usage: { prompt_tokens: 8 * inputs.length, total_tokens: 8 * inputs.length },
      });
    }
    if (req.method === 'POST' && path === '/v1/moderations') {
      return sendJson(res, 200, { id: 'modr-1', model: 'omni-moderation-latest', results: [{ flagged: false, categories: {}, category_scores: {} }] });
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      return body?.stream === true ? this.stream(req, res, body, model) : this.complete(res, model);
    }
    sendError(res, 404, `Unknown path ${path}`, 'invalid_request_error', null);
  }

  private complete(res: ServerResponse, model: string): void {
    const response: Record<string, unknown> = {
      id: 'chatcmpl-fake1',
      object: 'chat.completion',
      created: 1_763_769_600,
      model: `${model}-2024-07-18`,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there, friend!', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
      system_fingerprint: 'fp_fake',
    };
    if (model === 'no-usage') {
      delete response.usage;
      response.model = 'gpt-4o-mini';
    }
    res.setHeader('x-request-id', 'req_upstream_123');
    res.setHeader('openai-processing-ms', '42');
    res.setHeader('set-cookie', '__cf_bm=tracking; path=/');
    sendJson(res, 200, response);
  }

  private async stream(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>, model: string): Promise<void> {
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let closedEarly = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        closedEarly = true;
        this.abortedByClient.push(model);
      }
    });
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-fake2', object: 'chat.completion.chunk', created: 1_763_769_600, model: 'gpt-4o-mini-2024-07-18', system_fingerprint: 'fp_fake', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) })}\n\n`;
    const pieces = ['Hel', 'lo', ' wor', 'ld'];
    if (model === 'slow-stream') {
      for (let i = 0; i < 50 && !closedEarly; i++) {
        res.write(chunk({ content: `t${i} ` }));
        await sleep(100);
      }
      res.end();
      return;
    }
    res.write(chunk({ role: 'assistant', content: '' }));
    if (model === 'stream-break') {
      res.write(chunk({ content: pieces[0] }));
      await sleep(20);
      req.socket.destroy();
      return;
    }
    for (const piece of pieces) {
      res.write(chunk({ content: piece }));
      await sleep(5);
    }
    res.write(chunk({}, 'stop'));
    if (includeUsage) {
      res.write(
        `data: ${JSON.stringify({ id: 'chatcmpl-fake2', object: 'chat.completion.chunk', created: 1_763_769_600, model: 'gpt-4o-mini-2024-07-18', choices: [], usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

function sendError(res: ServerResponse, status: number, message: string, type: string, code: string | null): void {
  sendJson(res, status, { error: { message, type, param: null, code } });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
