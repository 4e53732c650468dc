import { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { createBrotliCompress, createDeflate, createGzip } from 'node:zlib';
import { JsonRequest, LoopbackServer, readRequest, sleep } from './loopback-server';

/** `query` e.g. `api-version=2024-10-21`; `body` is also null for multipart and binary requests. */
export interface ReceivedRequest extends JsonRequest {
  /** The exact bytes received. */
  raw: Buffer;
  /** The credential the gateway sent (Bearer token, or `api-key` on Azure paths): which provider setting it used. */
  apiKey: string | null;
}

/** One part of a multipart/form-data upload, as the fake parsed it. */
export interface MultipartPart {
  name: string;
  filename: string | null;
  contentType: string | null;
  data: Buffer;
}

export interface FakeOpenAIOptions {
  /** The key the fake requires (Bearer, or `api-key` on Azure paths); null accepts any (a vLLM server without --api-key). */
  apiKey?: string | null;
  /** Further keys the fake accepts besides `apiKey` (several provider settings, key rotation). */
  apiKeys?: string[];
  /** What GET /v1/models lists. */
  models?: string[];
  /** Answers name the requested model as it was sent (vLLM, Deepinfra), not OpenAI's dated snapshot. */
  echoModel?: boolean;
}

/** The bytes `/v1/audio/speech` answers with: every byte value, so any text decoding on the way corrupts them. */
export const FAKE_SPEECH_BYTES = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7 + (i >> 8)) % 256));

/**
 * A loopback stand-in for api.openai.com that follows OpenAI's documented wire format: chat
 * completions as JSON or as `chat.completion.chunk` SSE events ending in `data: [DONE]`
 * (with the usage chunk, `choices: []`, when `stream_options.include_usage` is set),
 * embeddings, moderations, models, and OpenAI's error body with its status codes.
 *
 * Also, for the providers that share OpenAI's wire format:
 * - Azure OpenAI: `/openai/deployments/:deployment/{chat/completions,embeddings,completions}`
 *   with `?api-version=` (required) and the key in the `api-key` header; the deployment plays
 *   the model's part below, and answers name the underlying model (gpt-4o-mini), as Azure does
 * - legacy `/v1/completions` (`text_completion`, streamed too), `/v1/files` multipart uploads
 *   (parsed: see `uploads`), `/v1/audio/speech` answering audio bytes ({@link FAKE_SPEECH_BYTES})
 * - the Responses API: `POST /v1/responses`, a `response` object or its typed event stream;
 *   `GET /v1/responses/:id` gives the stored response back (usage included), `DELETE` deletes it,
 *   `POST /v1/responses/:id/cancel` (no body) cancels it
 * - Assistants runs: `POST /v1/threads/:thread/runs`, a queued Run, or with `stream: true` the
 *   documented named-event sequence (thread.run.created … thread.message.delta …
 *   thread.run.step.completed and thread.run.completed with usage, `event: done` / `[DONE]`)
 *
 * Behaviour is chosen by the model name, so tests need no side channel:
 * - `fail-<status>`: an OpenAI error with that status (429 also sends retry-after)
 * - `fail-500-final`: a 500 with `x-should-retry: false`; `fail-429-ms`: a 429 with Azure's
 *   `retry-after-ms: 50` beside `retry-after: 20`; `fail-429-ms-zero`: `retry-after-ms: 0` beside
 *   an hour's `retry-after`
 * - `fail-insufficient-quota`: OpenAI's 429 for an account out of credit (`insufficient_quota`)
 * - `fail-429-hour`: a rate-limit 429 whose `retry-after` is an hour (a daily or hourly limit)
 * - `fail-400-should-retry`: a 400 with `x-should-retry: true`
 * - `hang`: never answers (timeouts)
 * - `drop-connection`: reads the request, then closes the connection without answering (a load
 *   balancer or a crashed server between the request and its answer)
 * - `redirect-307`: a redirect elsewhere, which the gateway must not follow
 * - `html-502`: a non-JSON error page, as a broken proxy in front of a provider would send
 * - `stream-break`: streams two chunks, then kills the connection
 * - `slow-stream`: one chunk every 100 ms for 5 s (client disconnects)
 * - `relabelled-stream`: a normal stream sent as text/plain, as a proxy in front of a provider may
 * - speech with voice `break`: half the announced audio, then the connection dies; voice
 *   `reset`: the headers, then the connection dies before any audio; voice `stall`: the headers,
 *   then nothing; voice `silence`: an empty body
 * - `no-usage`: a response without `usage` (token estimation); `no-usage-long`: the same with an
 *   answer of {@link LONG_ANSWER} (600,000 characters, more than the worker tokenizes)
 * - `odd-usage`: a usage a broken compatible server might send (10.5 prompt tokens, -10 completion
 *   tokens, 200 of them cached)
 * - `huge-usage`: 2,147,483,647 prompt and completion tokens (the most an event's token columns hold)
 * - `slow-body`: the headers and the start of the body at once, the rest after 5 s
 * - `empty-200`: a 200 (application/json) with an empty body, on any path
 * - `error-200`: a 200 whose body is OpenAI's error body (a server_error), on any path, as some
 *   OpenAI-compatible servers and in-house proxies answer a failure
 * - `error-200-code-429`: the same with Azure OpenAI's 429 body, whose `code` is the status ("429")
 */
/** The answer of model `no-usage-long`: prose, then text of other scripts past the counted part. */
export const LONG_ANSWER = 'The quick brown fox jumps over the lazy dog. '.repeat(6_000) + 'ünïcödé 漢字 '.repeat(30_000);

export class FakeOpenAI extends LoopbackServer<ReceivedRequest> {
  /** Multipart uploads received, in order, parsed into parts. */
  readonly uploads: MultipartPart[][] = [];
  /** Requests whose response was cut short because the gateway closed the connection. */
  readonly abortedByClient: string[] = [];
  /** Delay before answering a non-streamed chat completion (keeps concurrent requests in flight). */
  responseDelayMs = 0;
  protected readonly label = 'the fake upstream';
  private readonly apiKey: string | null;
  private readonly apiKeys: string[];
  private readonly models: string[];
  private readonly echoModel: boolean;

  constructor(options: FakeOpenAIOptions = {}) {
    super();
    this.echoModel = options.echoModel ?? false;
    this.apiKey = options.apiKey === undefined ? 'sk-upstream-secret' : options.apiKey;
    this.apiKeys = this.apiKey === null ? [] : [this.apiKey, ...(options.apiKeys ?? [])];
    this.models = options.models ?? ['gpt-4o-mini'];
  }

  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  /** The server root, for settings that take a host (Azure's `url`). */
  get rootUrl(): string {
    return this.origin;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path: requestPath, query, raw } = await readRequest(req);
    const contentType = req.headers['content-type'] ?? '';
    const apiKey = (typeof req.headers['api-key'] === 'string' ? req.headers['api-key'] : null) ?? /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
    let body: Record<string, unknown> | null = null;
    if (raw.length > 0 && !/^multipart\//i.test(contentType) && !/octet-stream|^audio\/|^image\//i.test(contentType)) {
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        this.requests.push({ method: req.method ?? '', path: requestPath, query, headers: req.headers, body: null, raw, apiKey });
        return sendError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
      }
    }
    this.requests.push({ method: req.method ?? '', path: requestPath, query, headers: req.headers, body, raw, apiKey });

    // Azure OpenAI: /openai/deployments/:deployment/<operation>?api-version=…, key in `api-key`.
    const azure = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings|completions)$/.exec(requestPath);
    if (azure) {
      if (this.apiKey !== null && !this.apiKeys.includes(String(req.headers['api-key']))) {
        return sendError(res, 401, 'Access denied due to invalid subscription key or wrong API endpoint.', 'invalid_request_error', '401');
      }
      const apiVersion = new URLSearchParams(query).get('api-version');
      if (!apiVersion) return sendError(res, 404, 'Resource not found', 'invalid_request_error', '404');
      // stream_options arrived with 2024-09-01-preview; older versions refuse unknown arguments.
      if (body?.stream_options !== undefined && apiVersion.slice(0, 10) < '2024-09-01') {
        return sendError(res, 400, 'Unrecognized request argument supplied: stream_options', 'invalid_request_error', null);
      }
    } else if (this.apiKey !== null && !this.apiKeys.some((key) => req.headers.authorization === `Bearer ${key}`)) {
      return sendError(res, 401, 'Incorrect API key provided: sk-****.', 'invalid_request_error', 'invalid_api_key');
    }
    const path = azure ? `/v1/${azure[2]}` : requestPath;
    const model = azure ? decodeURIComponent(azure[1]) : typeof body?.model === 'string' ? body.model : '';
    // Azure answers with the deployment's underlying model, not the deployment name.
    const answerModel = azure ? 'gpt-4o-mini' : model;
    if (model === 'fail-500-final') {
      res.setHeader('x-should-retry', 'false');
      return sendError(res, 500, 'The server had an error that retrying will not fix.', 'server_error', null);
    }
    if (model === 'fail-insufficient-quota') {
      // OpenAI's answer to a request from an account without credit left (its documented body).
      return sendError(
        res,
        429,
        'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
        'insufficient_quota',
        'insufficient_quota',
      );
    }
    if (model === 'fail-429-hour') {
      res.setHeader('retry-after', '3600');
      return sendError(res, 429, 'Rate limit reached for gpt-4o-mini on requests per day (RPD): Limit 10000, Used 10000, Requested 1.', 'requests', 'rate_limit_exceeded');
    }
    if (model === 'fail-400-should-retry') {
      res.setHeader('x-should-retry', 'true');
      return sendError(res, 400, 'The request could not be served right now.', 'invalid_request_error', null);
    }
    if (model === 'fail-429-ms') {
      res.setHeader('retry-after-ms', '50');
      res.setHeader('retry-after', '20');
      return sendError(res, 429, 'Rate limit reached.', 'rate_limit_error', 'rate_limit_exceeded');
    }
    if (model === 'fail-429-ms-zero') {
      res.setHeader('retry-after-ms', '0');
      res.setHeader('retry-after', '3600');
      return sendError(res, 429, 'Rate limit reached.', 'rate_limit_error', 'rate_limit_exceeded');
    }
    const failure = /^(?:compressed-[a-z]+-)?fail-(\d{3})$/.exec(model);
    if (failure) {
      const status = Number(failure[1]);
      if (status === 429) res.setHeader('retry-after', '7');
      return sendError(res, status, `Simulated ${status}`, status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error', status === 429 ? 'rate_limit_exceeded' : null);
    }
    if (model === 'echo-credential') {
      // Some OpenAI-compatible servers quote the credential they were sent in their errors.
      return sendError(res, 400, `The key ${req.headers.authorization} may not use this model`, 'invalid_request_error', null);
    }
    if (model === 'echo-credential-page') {
      // A proxy's error page whose echoed credential straddles where error texts are cut (500 characters).
      res.writeHead(400, { 'content-type': 'text/html' });
      return void res.end(`<html><body>${'.'.repeat(460)} Authorization: ${req.headers.authorization}</body></html>`);
    }
    if (model === 'echo-credential-stream') {
      // An error frame inside a stream that quotes the credential.
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      return void res.end(`data: ${JSON.stringify({ error: { message: `The key ${req.headers.authorization} may not use this model`, type: 'invalid_request_error', param: null, code: null } })}\n\n`);
    }
    if (model === 'redirect-307') {
      res.writeHead(307, { location: 'https://elsewhere.example/v1/chat/completions', 'content-length': 0 });
      return void res.end();
    }
    // compressed-<coding>[-…]: a provider, or a proxy in front of it, that compresses whatever it was asked.
    const compressed = /^compressed-(gzip|deflate|br|x-unknown)(-|$)/.exec(model);
    if (compressed) compressAnswer(res, compressed[1]);
    if (model === 'hang') return; // never answers
    if (model === 'drop-connection') return void req.socket.destroy();
    if (model === 'empty-200') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 0 });
      return void res.end();
    }
    if (model === 'error-200') return sendError(res, 200, 'The server had an error while processing your request. Sorry about that!', 'server_error', null);
    if (model === 'error-200-code-429') {
      return sendJson(res, 200, { error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 7 seconds.' } });
    }
    if (model === 'slow-body') return this.slowBody(res, model);
    if (model === 'html-502') {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad Gateway</body></html>');
      return;
    }

    if (req.method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: this.models.map((id) => ({ id, object: 'model', created: 1721172741, owned_by: 'system' })) });
    }
    if (req.method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (!this.models.includes(id)) return sendError(res, 404, `The model '${id}' does not exist`, 'invalid_request_error', 'model_not_found');
      return sendJson(res, 200, { id, object: 'model', created: 1721172741, owned_by: 'system' });
    }
    if (req.method === 'POST' && path === '/v1/embeddings') {
      const inputs = Array.isArray(body?.input) ? body!.input : [body?.input];
      return sendJson(res, 200, {
        object: 'list',
        // encoding_format "base64" (the SDKs' default) answers little-endian float32 bytes, as OpenAI does.
        data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: body?.encoding_format === 'base64' ? base64Floats(FAKE_EMBEDDING) : FAKE_EMBEDDING })),
        model: answerModel,
        usage: { prompt_tokens: 8 * inputs.length, total_tokens: 8 * inputs.length },
      });
    }
    if (req.method === 'POST' && path === '/v1/moderations') {
      return sendJson(res, 200, { id: 'modr-1', model: 'omni-moderation-latest', results: [{ flagged: false, categories: {}, category_scores: {} }] });
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      if (body?.stream === true) return this.stream(req, res, body, model, answerModel);
      if (this.responseDelayMs > 0) await sleep(this.responseDelayMs);
      return this.complete(res, model, answerModel);
    }
    if (req.method === 'POST' && path === '/v1/completions') {
      if (body?.prompt === undefined) return sendError(res, 400, "Missing required parameter: 'prompt'.", 'invalid_request_error', null);
      return body.stream === true ? this.streamLegacy(res, body, answerModel) : this.completeLegacy(res, answerModel);
    }
    if (req.method === 'POST' && path === '/v1/files') return this.upload(res, contentType, raw);
    if (req.method === 'POST' && path === '/v1/audio/transcriptions') return this.transcribe(res, contentType, raw);
    const stored = /^\/v1\/responses\/([^/]+)$/.exec(path);
    if (stored && req.method === 'GET') return this.respond(res, {}, 'gpt-4o-mini');
    if (stored && req.method === 'DELETE') return sendJson(res, 200, { id: decodeURIComponent(stored[1]), object: 'response', deleted: true });
    // Cancelling a background response takes no body; the response comes back cancelled.
    const cancelled = /^\/v1\/responses\/([^/]+)\/cancel$/.exec(path);
    if (cancelled && req.method === 'POST') return sendJson(res, 200, { id: decodeURIComponent(cancelled[1]), object: 'response', status: 'cancelled', background: true, output: [], usage: null });
    if (req.method === 'POST' && path === '/v1/responses') {
      if (body?.input === undefined && body?.prompt === undefined) return sendError(res, 400, "Missing required parameter: 'input'.", 'invalid_request_error', 'missing_required_parameter');
      return this.respond(res, body!, answerModel);
    }
    const run = /^\/v1\/threads\/([^/]+)\/runs$/.exec(path);
    if (req.method === 'POST' && run) {
      if (typeof body?.assistant_id !== 'string') return sendError(res, 400, "Missing required parameter: 'assistant_id'.", 'invalid_request_error', null);
      return this.run(res, decodeURIComponent(run[1]), body);
    }
    if (req.method === 'POST' && path === '/v1/audio/speech') {
      if (typeof body?.input !== 'string' || typeof body.voice !== 'string') {
        return sendError(res, 400, "Missing required parameters: 'input' and 'voice'.", 'invalid_request_error', null);
      }
      if (body.voice === 'silence') {
        res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': 0 });
        return void res.end();
      }
      if (body.voice === 'reset' || body.voice === 'stall') {
        res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': FAKE_SPEECH_BYTES.length });
        res.flushHeaders();
        if (body.voice === 'reset') setTimeout(() => res.destroy(), 20);
        return;
      }
      if (body.voice === 'break') {
        // Half the announced audio, then the connection dies.
        res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': FAKE_SPEECH_BYTES.length * 2 });
        res.write(FAKE_SPEECH_BYTES, () => setTimeout(() => res.destroy(), 20));
        return;
      }
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': FAKE_SPEECH_BYTES.length, 'x-request-id': 'req_upstream_speech' });
      res.end(FAKE_SPEECH_BYTES);
      return;
    }
    sendError(res, 404, `Unknown path ${path}`, 'invalid_request_error', null);
  }

  private complete(res: ServerResponse, model: string, answerModel: string): void {
    const response: Record<string, unknown> = {
      id: 'chatcmpl-fake1',
      object: 'chat.completion',
      created: 1_763_769_600,
      model: this.echoModel ? answerModel : `${answerModel}-2024-07-18`,
      choices: [{ index: 0, message: { role: 'assistant', content: model === 'no-usage-long' ? LONG_ANSWER : 'Hello there, friend!', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
      system_fingerprint: 'fp_fake',
    };
    if (model === 'no-usage' || model === 'no-usage-long') {
      delete response.usage;
      response.model = 'gpt-4o-mini';
    }
    if (model === 'gpt-audio') {
      // An audio model's usage: part of the prompt and of the answer is audio, priced far above text.
      response.usage = {
        prompt_tokens: 100,
        completion_tokens: 60,
        total_tokens: 160,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 40 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 50, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      };
    }
    if (model === 'huge-usage') response.usage = { prompt_tokens: 2_147_483_647, completion_tokens: 2_147_483_647, total_tokens: 4_294_967_294 };
    if (model === 'odd-usage') {
      // What a broken OpenAI-compatible server may send: a fraction, a negative count, more cached than prompt tokens.
      response.usage = { prompt_tokens: 10.5, completion_tokens: -10, total_tokens: 0.5, prompt_tokens_details: { cached_tokens: 200 } };
      response.model = 'gpt-4o-mini-2024-07-18';
    }
    res.setHeader('x-request-id', 'req_upstream_123');
    res.setHeader('openai-processing-ms', '42');
    res.setHeader('set-cookie', '__cf_bm=tracking; path=/');
    sendJson(res, 200, response);
  }

  /** The headers and the start of a chat completion at once, the rest after 5 s. */
  private slowBody(res: ServerResponse, model: string): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"id":"chatcmpl-slow","object":"chat.completion","created":1763769600,');
    const timer = setTimeout(() => res.end(`"model":"${model}","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`), 5_000);
    res.on('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished) this.abortedByClient.push(model);
    });
  }

  private async stream(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>, model: string, answerModel: string): Promise<void> {
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    // relabelled-stream: a proxy in front of the provider relabels the stream.
    const contentType = model === 'relabelled-stream' ? 'text/plain; charset=utf-8' : 'text/event-stream; charset=utf-8';
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', connection: 'keep-alive' });
    let closedEarly = false;
    const streamModel = this.echoModel ? answerModel : 'gpt-4o-mini-2024-07-18';
    res.on('close', () => {
      if (!res.writableFinished) {
        closedEarly = true;
        this.abortedByClient.push(model);
      }
    });
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-fake2', object: 'chat.completion.chunk', created: 1_763_769_600, model: streamModel, system_fingerprint: 'fp_fake', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}), obfuscation: 'ZGF' })}\n\n`;
    const pieces = ['Hel', 'lo', ' wor', 'ld'];
    if (model === 'thinking-stream') {
      // A model that thinks before its first token: the headers go out at once, the tokens later.
      res.flushHeaders();
      await sleep(1_000);
    }
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
    if (model === 'stream-truncated') {
      // A proxy in front of the provider closes the body cleanly mid-answer: no finish_reason, no [DONE].
      res.end(chunk({ content: pieces[0] }));
      return;
    }
    for (const piece of pieces) {
      res.write(chunk({ content: piece }));
      await sleep(5);
    }
    res.write(chunk({}, 'stop'));
    if (includeUsage) {
      res.write(
        `data: ${JSON.stringify({ id: 'chatcmpl-fake2', object: 'chat.completion.chunk', created: 1_763_769_600, model: streamModel, choices: [], usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
  }

  /** Usage of a streamed run, reported on its step and on the run once completed. */
  static readonly RUN_USAGE = { prompt_tokens: 20, completion_tokens: 11, total_tokens: 31 };

  private async run(res: ServerResponse, threadId: string, body: Record<string, unknown>): Promise<void> {
    const run = (status: string, usage: unknown) => ({
      id: 'run_fake1',
      object: 'thread.run',
      created_at: 1_763_769_600,
      assistant_id: body.assistant_id,
      thread_id: threadId,
      status,
      model: typeof body.model === 'string' ? body.model : 'gpt-4o-mini',
      instructions: '',
      tools: [],
      metadata: {},
      usage,
    });
    if (body.stream !== true) return sendJson(res, 200, run('queued', null));
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = async (event: string, data: unknown) => {
      res.write(`event: ${event}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
      await sleep(2);
    };
    const step = (status: string, usage: unknown) => ({
      id: 'step_fake1',
      object: 'thread.run.step',
      created_at: 1_763_769_600,
      run_id: 'run_fake1',
      assistant_id: body.assistant_id,
      thread_id: threadId,
      type: 'message_creation',
      status,
      step_details: { type: 'message_creation', message_creation: { message_id: 'msg_fake1' } },
      usage,
    });
    const message = (status: string, text: string) => ({
      id: 'msg_fake1',
      object: 'thread.message',
      created_at: 1_763_769_600,
      thread_id: threadId,
      role: 'assistant',
      status,
      content: text ? [{ type: 'text', text: { value: text, annotations: [] } }] : [],
      assistant_id: body.assistant_id,
      run_id: 'run_fake1',
      attachments: [],
      metadata: {},
    });
    await send('thread.run.created', run('queued', null));
    await send('thread.run.in_progress', run('in_progress', null));
    await send('thread.run.step.created', step('in_progress', null));
    await send('thread.message.created', message('in_progress', ''));
    for (const [index, piece] of ['Hel', 'lo ', 'there'].entries()) {
      await send('thread.message.delta', { id: 'msg_fake1', object: 'thread.message.delta', delta: { content: [{ index: 0, type: 'text', text: { value: piece, ...(index === 0 ? { annotations: [] } : {}) } }] } });
    }
    await send('thread.message.completed', message('completed', 'Hello there'));
    await send('thread.run.step.completed', step('completed', FakeOpenAI.RUN_USAGE));
    await send('thread.run.completed', run('completed', FakeOpenAI.RUN_USAGE));
    await send('done', '[DONE]');
    res.end();
  }

  /** Usage of a Responses API answer (input_tokens / output_tokens, as that API names them). */
  static readonly RESPONSE_USAGE = { input_tokens: 14, input_tokens_details: { cached_tokens: 0 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 17 };

  /**
   * The Responses API: a `response` object, or with `stream: true` its documented typed events
   * (response.created … response.output_text.delta … response.completed, whose response carries
   * the usage), each `event: <type>` with a `sequence_number`; the stream ends without [DONE].
   */
  private async respond(res: ServerResponse, body: Record<string, unknown>, model: string): Promise<void> {
    const text = 'Hello there!';
    const message = (status: string, content: string | null) => ({
      id: 'msg_fake1',
      type: 'message',
      status,
      role: 'assistant',
      content: content === null ? [] : [{ type: 'output_text', text: content, annotations: [], logprobs: [] }],
    });
    const response = (status: string, output: unknown[], usage: unknown) => ({
      id: 'resp_fake1',
      object: 'response',
      created_at: 1_763_769_600,
      status,
      error: null,
      incomplete_details: null,
      instructions: typeof body.instructions === 'string' ? body.instructions : null,
      model,
      output,
      parallel_tool_calls: true,
      previous_response_id: null,
      store: true,
      temperature: 1,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: [],
      top_p: 1,
      truncation: 'disabled',
      usage,
      metadata: {},
    });
    if (body.stream !== true) return sendJson(res, 200, response('completed', [message('completed', text)], FakeOpenAI.RESPONSE_USAGE));
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let sequence = 0;
    const send = async (type: string, data: object) => {
      res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`);
      await sleep(2);
    };
    const part = { item_id: 'msg_fake1', output_index: 0, content_index: 0 };
    await send('response.created', { response: response('in_progress', [], null) });
    await send('response.in_progress', { response: response('in_progress', [], null) });
    await send('response.output_item.added', { output_index: 0, item: message('in_progress', null) });
    await send('response.content_part.added', { ...part, part: { type: 'output_text', text: '', annotations: [] } });
    for (const piece of ['Hello', ' there', '!']) {
      await send('response.output_text.delta', { ...part, delta: piece, logprobs: [] });
      // stream-break: the connection dies before the response completes (no usage ever comes).
      if (model === 'stream-break' && piece === ' there') return void res.destroy();
      // stream-truncated: the body ends cleanly before response.completed.
      if (model === 'stream-truncated' && piece === ' there') return void res.end();
    }
    await send('response.output_text.done', { ...part, text, logprobs: [] });
    await send('response.content_part.done', { ...part, part: { type: 'output_text', text, annotations: [] } });
    await send('response.output_item.done', { output_index: 0, item: message('completed', text) });
    await send('response.completed', { response: response('completed', [message('completed', text)], FakeOpenAI.RESPONSE_USAGE) });
    res.end();
  }

  private completeLegacy(res: ServerResponse, model: string): void {
    sendJson(res, 200, {
      id: 'cmpl-fake1',
      object: 'text_completion',
      created: 1_763_769_600,
      model,
      choices: [{ text: ' Hello there!', index: 0, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    });
  }

  private async streamLegacy(res: ServerResponse, body: Record<string, unknown>, model: string): Promise<void> {
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    // relabelled-stream: a proxy in front of the provider relabels the stream.
    const contentType = model === 'relabelled-stream' ? 'text/plain; charset=utf-8' : 'text/event-stream; charset=utf-8';
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (text: string, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'cmpl-fake2', object: 'text_completion', created: 1_763_769_600, model, choices: [{ text, index: 0, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) })}\n\n`;
    for (const piece of [' Hel', 'lo', ' there!']) {
      res.write(chunk(piece, null));
      await sleep(5);
    }
    res.write(chunk('', 'stop'));
    if (includeUsage) {
      res.write(`data: ${JSON.stringify({ id: 'cmpl-fake2', object: 'text_completion', created: 1_763_769_600, model, choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  }

  /** POST /v1/files: a multipart/form-data upload with `purpose` and `file`, answered with a File object. */
  private upload(res: ServerResponse, contentType: string, raw: Buffer): void {
    const parts = formParts(res, contentType, raw);
    if (!parts) return;
    this.uploads.push(parts);
    const file = parts.find((part) => part.name === 'file' && part.filename !== null);
    const purpose = parts.find((part) => part.name === 'purpose')?.data.toString('utf8');
    if (!file || !purpose) return sendError(res, 400, "Missing required parameters: 'file' and 'purpose'.", 'invalid_request_error', null);
    sendJson(res, 200, { id: 'file-fake1', object: 'file', bytes: file.data.length, created_at: 1_763_769_600, filename: file.filename, purpose, status: 'processed' });
  }

  /**
   * POST /v1/audio/transcriptions: `file` and `model` in the form; whisper-1's JSON answer (usage
   * in seconds), or the token usage of the gpt-4o transcribe models (`input_token_details`, so named).
   */
  private transcribe(res: ServerResponse, contentType: string, raw: Buffer): void {
    const parts = formParts(res, contentType, raw);
    if (!parts) return;
    this.uploads.push(parts);
    const file = parts.find((part) => part.name === 'file' && part.filename !== null);
    const model = parts.find((part) => part.name === 'model')?.data.toString('utf8');
    if (!file || !model) return sendError(res, 400, "Missing required parameters: 'file' and 'model'.", 'invalid_request_error', null);
    if (model === 'whisper-1') return sendJson(res, 200, { text: 'Hello there.', usage: { type: 'duration', seconds: 2 } });
    sendJson(res, 200, { text: 'Hello there.', usage: { type: 'tokens', input_tokens: 14, input_token_details: { text_tokens: 0, audio_tokens: 14 }, output_tokens: 45, total_tokens: 59 } });
  }
}

/** Multipart parts of a request, or an error already sent. */
function formParts(res: ServerResponse, contentType: string, raw: Buffer): MultipartPart[] | null {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!/^multipart\/form-data/i.test(contentType) || !boundary) {
    sendError(res, 400, 'Expected a multipart/form-data body with a boundary.', 'invalid_request_error', null);
    return null;
  }
  const parts = parseMultipart(raw, boundary[1] ?? boundary[2]);
  if (!parts) sendError(res, 400, 'Malformed multipart body.', 'invalid_request_error', null);
  return parts;
}

const FAKE_EMBEDDING = [0.0023, -0.0093, 0.0157];

function base64Floats(values: number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

/**
 * Makes the answer's body go out in a content coding (each write flushed, as a compressing
 * server does for a stream); `x-unknown` only labels it, with a coding no client can read.
 */
function compressAnswer(res: ServerResponse, coding: string): void {
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: OutgoingHttpHeaders) => ServerResponse;
  res.writeHead = ((status: number, headers: OutgoingHttpHeaders = {}) => {
    const { 'content-length': _length, ...rest } = headers;
    return writeHead(status, { ...rest, 'content-encoding': coding });
  }) as typeof res.writeHead;
  const encoder = coding === 'gzip' ? createGzip() : coding === 'deflate' ? createDeflate() : coding === 'br' ? createBrotliCompress() : null;
  if (!encoder) return;
  const write = res.write.bind(res) as (chunk: Buffer) => boolean;
  const end = res.end.bind(res) as () => ServerResponse;
  encoder.on('data', (data: Buffer) => write(data));
  encoder.on('end', () => end());
  res.write = ((chunk: string | Buffer) => {
    encoder.write(chunk);
    encoder.flush();
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: string | Buffer) => {
    if (chunk) encoder.write(chunk);
    encoder.end();
    return res;
  }) as typeof res.end;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

function sendError(res: ServerResponse, status: number, message: string, type: string, code: string | null): void {
  sendJson(res, status, { error: { message, type, param: null, code } });
}

/** A strict multipart/form-data reader (RFC 7578): null when the framing is broken. */
function parseMultipart(raw: Buffer, boundary: string): MultipartPart[] | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let at = raw.indexOf(delimiter);
  if (at !== 0) return null;
  for (;;) {
    at += delimiter.length;
    if (raw.subarray(at, at + 2).toString() === '--') return parts;
    if (raw.subarray(at, at + 2).toString() !== '\r\n') return null;
    const headersEnd = raw.indexOf('\r\n\r\n', at);
    if (headersEnd === -1) return null;
    const headers = raw.subarray(at + 2, headersEnd).toString('utf8').split('\r\n');
    const next = raw.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 4);
    if (next === -1) return null;
    const disposition = headers.find((line) => /^content-disposition:/i.test(line)) ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) return null;
    const type = headers.find((line) => /^content-type:/i.test(line));
    parts.push({
      name,
      filename: /\bfilename="([^"]*)"/i.exec(disposition)?.[1] ?? null,
      contentType: type ? type.slice(type.indexOf(':') + 1).trim() : null,
      data: raw.subarray(headersEnd + 4, next),
    });
    at = next + 2;
  }
}
