import { IncomingMessage, ServerResponse } from 'node:http';
import { JsonRequest, LoopbackServer, readJsonRequest, sleep } from './loopback-server';

/** What `stream-cut` generates before the overload cuts it (many tokens, never counted by Anthropic). */
export const FAKE_ANTHROPIC_CUT_TEXT = 'A long answer that the provider cuts off partway through, after it has already generated a good number of tokens for the client.';

/** A request the fake received (its query string, e.g. `beta=true`, apart from the path). */
export type AnthropicReceivedRequest = JsonRequest;

/** The only key the fake accepts (`x-api-key`). */
export const FAKE_ANTHROPIC_KEY = 'sk-ant-upstream-secret';

/** Top-level Messages fields Anthropic knows; any other is rejected, as the real API does. */
const MESSAGES_FIELDS = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'stop_sequences',
  'temperature',
  'top_p',
  'top_k',
  'metadata',
  'stream',
  'tools',
  'tool_choice',
  'thinking',
  'service_tier',
]);

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** What `POST /v1/messages/count_tokens` answers. */
export const FAKE_COUNTED_INPUT_TOKENS = 14;

/** What `GET /v1/models` lists. */
export const FAKE_ANTHROPIC_MODELS = ['claude-sonnet-4-5-20250929', 'claude-haiku-4-5-20251001'];

/** Usage the fake reports, so tests can assert exact token counts. */
export const FAKE_ANTHROPIC_USAGE = {
  text: { input_tokens: 12, output_tokens: 6 },
  tool: { input_tokens: 350, output_tokens: 40 },
  stream: { input_tokens: 11, output_tokens: 4 },
  streamTool: { input_tokens: 340, output_tokens: 38 },
};

/**
 * A loopback stand-in for api.anthropic.com following Anthropic's documented wire format
 * (https://docs.anthropic.com/en/api/messages, .../streaming, .../errors): `x-api-key` and
 * `anthropic-version` headers, Message objects, the named SSE event sequence
 * (message_start, content_block_start/delta/stop, ping, message_delta, message_stop), and
 * `{"type":"error","error":{type,message}}` bodies. Like the real API, it rejects unknown
 * top-level fields and a "system" role inside `messages`, so OpenAI-only fields or an
 * un-hoisted system prompt leaking through the gateway fail loudly.
 *
 * Answers:
 * - text: "Hello!" or, when the request has `system`, "Hello! (system: <system text>)"
 * - tools present and the last user message mentions "weather": a text block
 *   "Let me check the weather." then tool_use `get_weather` {"city":"Paris"} (stop_reason
 *   tool_use); streamed, the tool input arrives as several input_json_delta fragments
 * - tool_choice {type:"tool"}: that tool's call alone (stop_reason tool_use), its input filled in
 *   from its input_schema; streamed, the input arrives as input_json_delta fragments
 * - `POST /v1/complete` (legacy Text Completions): {type:"completion", completion, ...}
 * - `GET /v1/models`: {@link FAKE_ANTHROPIC_MODELS}
 * - `POST /v1/messages/count_tokens`: `{"input_tokens": FAKE_COUNTED_INPUT_TOKENS}`
 *
 * Behaviour is chosen by the model name:
 * - `fail-<status>`: an Anthropic error with that status (429 also sends retry-after: 7;
 *   529 is overloaded_error)
 * - `no-credit`: the 400 invalid_request_error Anthropic answers an account whose credit ran out with
 * - `stream-error`: streams a few events, then an in-stream `error` event (overloaded_error)
 * - `stream-cut`: the same after {@link FAKE_ANTHROPIC_CUT_TEXT}: no message_delta, so no final output count
 * - `html-502`: a non-JSON error page, as a broken proxy in front of Anthropic would send
 * - `error-200`: Anthropic's overloaded_error body, with a 200 (as a proxy in front of Anthropic may relay it)
 * - `stream-linger`: a whole stream, then the body held open for 5 s (recorded in
 *   {@link FakeAnthropic.cutAfterEnd} when the gateway closes the connection first)
 * - `stream-reset`: a whole stream, then the connection reset 50 ms later
 * - `stream-truncated`: some text, then the body ended cleanly with no message_delta or message_stop
 */
export class FakeAnthropic extends LoopbackServer<AnthropicReceivedRequest> {
  protected readonly label = 'the fake upstream';
  /** Models of `stream-linger` streams whose connection the gateway closed while the body was held open. */
  readonly cutAfterEnd: string[] = [];

  get baseUrl(): string {
    return this.origin;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { request, malformed } = await readJsonRequest(req);
    this.requests.push(request);
    if (malformed) return sendError(res, 400, 'invalid_request_error', 'There was an issue with the format of your request: the body is not valid JSON');
    const { path, body } = request;

    if (req.headers['x-api-key'] !== FAKE_ANTHROPIC_KEY) return sendError(res, 401, 'authentication_error', 'invalid x-api-key');
    if (typeof req.headers['anthropic-version'] !== 'string') {
      return sendError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    const model = typeof body?.model === 'string' ? body.model : '';
    const failure = /^fail-(\d{3})$/.exec(model);
    if (failure) {
      const status = Number(failure[1]);
      if (status === 429) res.setHeader('retry-after', '7');
      const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
      return sendError(res, status, type, status === 529 ? 'Overloaded' : `Simulated ${status}`);
    }
    if (model === 'no-credit') {
      return sendError(res, 400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.');
    }
    if (model === 'html-502') {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad Gateway</body></html>');
      return;
    }
    if (model === 'error-200') return sendError(res, 200, 'overloaded_error', 'Overloaded');

    if (req.method === 'POST' && path === '/v1/messages') {
      const problem = messagesProblem(body);
      if (problem) return sendError(res, 400, 'invalid_request_error', problem);
      return body!.stream === true ? this.stream(res, body!, model) : this.complete(res, body!, model);
    }
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      const problem = messagesProblem({ max_tokens: 1, ...body });
      if (problem) return sendError(res, 400, 'invalid_request_error', problem);
      return sendJson(res, 200, { input_tokens: FAKE_COUNTED_INPUT_TOKENS });
    }
    if (req.method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, {
        data: FAKE_ANTHROPIC_MODELS.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-09-29T00:00:00Z' })),
        has_more: false,
        first_id: FAKE_ANTHROPIC_MODELS[0],
        last_id: FAKE_ANTHROPIC_MODELS[FAKE_ANTHROPIC_MODELS.length - 1],
      });
    }
    if (req.method === 'POST' && path === '/v1/complete') {
      if (typeof body?.prompt !== 'string' || typeof body.max_tokens_to_sample !== 'number') {
        return sendError(res, 400, 'invalid_request_error', 'prompt and max_tokens_to_sample: Field required');
      }
      return sendJson(res, 200, { type: 'completion', id: 'compl_fake01', completion: ' Hello there!', stop_reason: 'stop_sequence', model });
    }
    sendError(res, 404, 'not_found_error', `Not found: ${path}`);
  }

  private complete(res: ServerResponse, body: Record<string, unknown>, model: string): void {
    const forced = forcedToolCall(body);
    if (forced) {
      return sendJson(res, 200, {
        id: 'msg_fake03',
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'tool_use', id: 'toolu_fake03', name: forced.name, input: forced.input }],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { ...FAKE_ANTHROPIC_USAGE.tool, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      });
    }
    const tool = wantsWeatherTool(body);
    sendJson(res, 200, {
      id: 'msg_fake01',
      type: 'message',
      role: 'assistant',
      model,
      content: tool
        ? [
            { type: 'text', text: 'Let me check the weather.' },
            { type: 'tool_use', id: 'toolu_fake01', name: 'get_weather', input: { city: 'Paris' } },
          ]
        : [{ type: 'text', text: answerText(body) }],
      stop_reason: tool ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: { ...(tool ? FAKE_ANTHROPIC_USAGE.tool : FAKE_ANTHROPIC_USAGE.text), cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  }

  private async stream(res: ServerResponse, body: Record<string, unknown>, model: string): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'request-id': 'req_fake01' });
    const send = async (type: string, data: Record<string, unknown>) => {
      res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      await sleep(2);
    };
    const tool = wantsWeatherTool(body);
    const usage = tool ? FAKE_ANTHROPIC_USAGE.streamTool : FAKE_ANTHROPIC_USAGE.stream;
    await send('message_start', {
      message: {
        id: 'msg_fake02',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.input_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 },
      },
    });
    const forced = forcedToolCall(body);
    if (forced) {
      // Forced tool use: no text block, the tool's input in fragments.
      await send('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_fake04', name: forced.name, input: {} } });
      for (const partial of pieces(JSON.stringify(forced.input), 3)) await send('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: partial } });
      await send('content_block_stop', { index: 0 });
      await send('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
      await send('message_stop', {});
      res.end();
      return;
    }
    await send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    await send('ping', {});
    if (model === 'stream-error' || model === 'stream-cut') {
      const generated = model === 'stream-cut' ? pieces(FAKE_ANTHROPIC_CUT_TEXT, 5) : ['Hel'];
      for (const text of generated) await send('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
      await send('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
      res.end();
      return;
    }
    const text = tool ? 'Let me check the weather.' : answerText(body);
    for (const piece of pieces(text, 4)) await send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } });
    await send('content_block_stop', { index: 0 });
    if (tool) {
      await send('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_fake02', name: 'get_weather', input: {} } });
      for (const partial of ['', '{"city"', ': "Par', 'is"}']) {
        await send('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: partial } });
      }
      await send('content_block_stop', { index: 1 });
    }
    if (model === 'stream-truncated') return void res.end();
    await send('message_delta', { delta: { stop_reason: tool ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
    await send('message_stop', {});
    if (model === 'stream-linger') {
      const cut = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 5_000);
        res.once('close', () => {
          clearTimeout(timer);
          resolve(!res.writableEnded);
        });
      });
      if (cut) return void this.cutAfterEnd.push(model);
    }
    if (model === 'stream-reset') {
      await sleep(50);
      return void res.socket?.destroy();
    }
    res.end();
  }
}

/** What the real API would reject before generating anything, or null. */
function messagesProblem(body: Record<string, unknown> | null): string | null {
  if (!body) return 'model: Field required';
  const extra = Object.keys(body).find((field) => !MESSAGES_FIELDS.has(field));
  if (extra) return `${extra}: Extra inputs are not permitted`;
  if (typeof body.model !== 'string') return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Field required';
  for (const [i, message] of (body.messages as Array<{ role?: unknown }>).entries()) {
    if (message.role !== 'user' && message.role !== 'assistant') {
      return `messages.${i}.role: Unexpected role ${JSON.stringify(message.role)}. The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`;
    }
  }
  return null;
}

function answerText(body: Record<string, unknown>): string {
  const system = textOf(body.system);
  return system ? `Hello! (system: ${system})` : 'Hello!';
}

/**
 * tool_choice {type: "tool", name}: the model must call that tool, and answers with its call
 * alone, an input filled in from the tool's input_schema (strings "text", numbers 1, booleans
 * true, arrays empty, objects recursively).
 */
function forcedToolCall(body: Record<string, unknown>): { name: string; input: unknown } | null {
  const choice = body.tool_choice as { type?: unknown; name?: unknown } | undefined;
  if (choice?.type !== 'tool' || typeof choice.name !== 'string') return null;
  const tool = (body.tools as Array<{ name: string; input_schema: Record<string, unknown> }> | undefined)?.find((t) => t.name === choice.name);
  return tool ? { name: tool.name, input: sampleOf(tool.input_schema) } : null;
}

function sampleOf(schema: Record<string, unknown>): unknown {
  switch (schema.type) {
    case 'string':
      return 'text';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    default: {
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, sampleOf(property)]));
    }
  }
}

function wantsWeatherTool(body: Record<string, unknown>): boolean {
  if (!Array.isArray(body.tools) || body.tools.length === 0) return false;
  const users = (body.messages as Array<{ role: string; content: unknown }>).filter((m) => m.role === 'user');
  const last = users[users.length - 1];
  return last !== undefined && /weather/i.test(textOf(last.content));
}

/** The text of a string or of an array of content blocks (non-text blocks contribute nothing). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block: { type?: unknown; text?: unknown }) => (block.type === 'text' && typeof block.text === 'string' ? block.text : ''))
    .filter((text) => text !== '')
    .join('\n');
}

function pieces(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / count));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'request-id': 'req_fake01' });
  res.end(payload);
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { type: 'error', error: { type, message }, request_id: 'req_fake01' });
}
