import { IncomingMessage, ServerResponse } from 'node:http';
import { JsonRequest, LoopbackServer, readJsonRequest, sleep } from './loopback-server';

/** A request the fake received: path e.g. `/v1beta/models/gemini-2.5-flash:generateContent`, query e.g. `alt=sse`. */
export type ReceivedGeminiRequest = JsonRequest;

/** The key the gateway's stored Gemini setting must carry. */
export const FAKE_GEMINI_API_KEY = 'gemini-upstream-secret';

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

interface Part {
  text?: string;
  functionCall?: { name: string; args: Record<string, unknown> };
  functionResponse?: { name: string; response: unknown };
  inlineData?: { mimeType: string; data: string };
}

interface Content {
  role?: string;
  parts?: Part[];
}

/**
 * A loopback stand-in for generativelanguage.googleapis.com (v1beta) that follows Gemini's
 * documented wire format: `models/{model}:generateContent`, `:streamGenerateContent?alt=sse`
 * (CRLF-framed `data:` events, no [DONE], the last one with finishReason and usageMetadata),
 * `:batchEmbedContents`, `GET /models` (gemini-2.5-flash, gemini-embedding-001, and aqa, which
 * neither generates nor embeds), and Google's `{"error":{code,message,status,details}}` bodies.
 *
 * Auth is the `x-goog-api-key` header only: no header is a 403 PERMISSION_DENIED, a wrong key
 * a 400 with reason API_KEY_INVALID (as Google answers), and any `key=` query parameter is
 * refused outright so a test fails if the gateway ever puts the key in a URL.
 *
 * Answers: "Hello there, friend!", with ` (system: <text>)` appended when a systemInstruction
 * came (to check hoisting); with tools and "weather" in the last user text, a functionCall
 * `get_weather {city: "Paris"}`; after a functionResponse, a sentence quoting it.
 *
 * Behaviour by model name:
 * - `fail-<status>`: a Google error with that status (429 adds retry-after and RetryInfo)
 * - `safety-block`: the prompt is blocked (promptFeedback.blockReason SAFETY, no candidates)
 * - `stream-error`: a stream that sends one event, then an in-stream error payload
 * - `stream-break`: streams one event, then kills the connection
 * - `html-502`: a non-JSON error page, as a broken proxy would send
 * - `hang`: never answers (timeouts)
 * - `error-200`: Google's 429 RESOURCE_EXHAUSTED error body, with a 200 (as a proxy in front of
 *   Google may relay it)
 */
export class FakeGemini extends LoopbackServer<ReceivedGeminiRequest> {
  protected readonly label = 'the fake Gemini';

  get baseUrl(): string {
    return `${this.origin}/v1beta`;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { request, malformed } = await readJsonRequest(req);
    this.requests.push(request);
    if (malformed) return sendError(res, 400, 'Invalid JSON payload received.');
    const { path, query, body } = request;

    const params = new URLSearchParams(query);
    if (params.has('key')) return sendError(res, 400, 'The fake Gemini refuses API keys in query strings: use the x-goog-api-key header.');
    const key = req.headers['x-goog-api-key'];
    if (key === undefined) {
      return sendError(
        res,
        403,
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    }
    if (key !== FAKE_GEMINI_API_KEY) {
      return sendError(res, 400, 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      ]);
    }

    if (req.method === 'GET' && path === '/v1beta/models') {
      return sendJson(res, 200, {
        models: [
          { name: 'models/gemini-2.5-flash', version: '001', displayName: 'Gemini 2.5 Flash', supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent'] },
          { name: 'models/gemini-embedding-001', version: '001', displayName: 'Gemini Embedding 001', supportedGenerationMethods: ['embedContent', 'countTextTokens'] },
          { name: 'models/aqa', version: '001', displayName: 'Model that performs Attributed Question Answering.', supportedGenerationMethods: ['generateAnswer'] },
        ],
      });
    }
    const route = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)$/.exec(path);
    if (req.method !== 'POST' || !route) return sendError(res, 404, `Method not found: ${req.method} ${path}`);
    const model = decodeURIComponent(route[1]);
    const method = route[2];

    const failure = /^fail-(\d{3})$/.exec(model);
    if (failure) {
      const status = Number(failure[1]);
      if (status === 429) {
        res.setHeader('retry-after', '7');
        return sendError(res, 429, 'You exceeded your current quota, please check your plan and billing details.', [
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' },
        ]);
      }
      return sendError(res, status, `Simulated ${status}`);
    }
    if (model === 'hang') return; // never answers
    if (model === 'error-200') {
      return sendJson(res, 200, { error: { code: 429, message: 'You exceeded your current quota, please check your plan and billing details.', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }] } });
    }
    if (model === 'html-502') {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad Gateway</body></html>');
      return;
    }

    if (method === 'batchEmbedContents') return this.embed(res, model, body);
    if (!Array.isArray(body?.contents) || body.contents.length === 0) {
      return sendError(res, 400, '* GenerateContentRequest.contents: contents is not specified\n');
    }
    if (method === 'generateContent') return this.generate(res, model, body);
    if (params.get('alt') !== 'sse') return sendError(res, 400, 'The fake Gemini only streams with alt=sse.');
    return this.stream(req, res, model, body);
  }

  private generate(res: ServerResponse, model: string, body: Record<string, unknown>): void {
    if (model === 'safety-block') return sendJson(res, 200, blockedPrompt(model));
    const config = (body.generationConfig ?? {}) as { candidateCount?: number };
    const parts = answerParts(body);
    const candidates = Array.from({ length: config.candidateCount ?? 1 }, (_, index) => ({
      content: { parts, role: 'model' },
      finishReason: 'STOP',
      index,
    }));
    // With audio in the prompt, Gemini says how much of it is audio (priced above text).
    const hasAudio = (body.contents as Content[]).some((content) => content.parts?.some((part) => part.inlineData?.mimeType.startsWith('audio/')));
    sendJson(res, 200, {
      candidates,
      usageMetadata: {
        promptTokenCount: 12,
        candidatesTokenCount: 5 * candidates.length,
        totalTokenCount: 12 + 5 * candidates.length,
        ...(hasAudio ? { promptTokensDetails: [{ modality: 'TEXT', tokenCount: 2 }, { modality: 'AUDIO', tokenCount: 10 }] } : {}),
      },
      modelVersion: model,
      responseId: 'fake-response-1',
    });
  }

  private async stream(req: IncomingMessage, res: ServerResponse, model: string, body: Record<string, unknown>): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    // Google frames SSE events with CRLF.
    const send = (event: unknown) => res.write(`data: ${JSON.stringify(event)}\r\n\r\n`);
    const event = (parts: Part[], finish?: { completion: number }) => ({
      candidates: [{ content: { parts, role: 'model' }, ...(finish ? { finishReason: 'STOP' } : {}), index: 0 }],
      usageMetadata: finish
        ? { promptTokenCount: 11, candidatesTokenCount: finish.completion, totalTokenCount: 11 + finish.completion }
        : { promptTokenCount: 11, totalTokenCount: 11 },
      modelVersion: model,
      responseId: 'fake-stream-1',
    });

    if (model === 'safety-block') {
      send(blockedPrompt(model));
      res.end();
      return;
    }
    const answer = answerParts(body);
    if (answer[0].functionCall) {
      send(event(answer, { completion: 6 }));
      res.end();
      return;
    }
    const pieces = ['Hel', 'lo', ' wor', 'ld'];
    const system = systemText(body);
    if (system) pieces.push(` (system: ${system})`);
    send(event([{ text: pieces[0] }]));
    if (model === 'stream-break') {
      await sleep(20);
      req.socket.destroy();
      return;
    }
    if (model === 'stream-error') {
      await sleep(5);
      send({ error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' } });
      res.end();
      return;
    }
    for (const piece of pieces.slice(1, -1)) {
      await sleep(5);
      send(event([{ text: piece }]));
    }
    send(event([{ text: pieces[pieces.length - 1] }], { completion: 4 }));
    res.end();
  }

  private embed(res: ServerResponse, model: string, body: Record<string, unknown> | null): void {
    const requests = Array.isArray(body?.requests) ? (body.requests as Array<{ model?: string }>) : [];
    if (requests.length === 0) return sendError(res, 400, '* BatchEmbedContentsRequest.requests: requests is not specified\n');
    const mismatch = requests.findIndex((request) => request.model !== `models/${model}`);
    if (mismatch !== -1) {
      return sendError(res, 400, `* BatchEmbedContentsRequest.requests[${mismatch}].model: model must be the same as the batch request model ("models/${model}").\n`);
    }
    sendJson(res, 200, { embeddings: requests.map(() => ({ values: [0.0023, -0.0093, 0.0157] })) });
  }
}

function answerParts(body: Record<string, unknown>): Part[] {
  const contents = body.contents as Content[];
  const last = contents[contents.length - 1];
  const lastParts = last?.parts ?? [];
  const response = lastParts.find((part) => part.functionResponse)?.functionResponse;
  if (response) return [{ text: `The ${response.name} tool said ${JSON.stringify(response.response)}.` }];
  const lastText = lastParts.map((part) => part.text ?? '').join(' ');
  const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
  if (hasTools && /weather/i.test(lastText)) return [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }];
  const system = systemText(body);
  return [{ text: system ? `Hello there, friend! (system: ${system})` : 'Hello there, friend!' }];
}

function systemText(body: Record<string, unknown>): string {
  const instruction = body.systemInstruction as Content | undefined;
  return (instruction?.parts ?? []).map((part) => part.text ?? '').join(' ');
}

function blockedPrompt(model: string): Record<string, unknown> {
  return {
    promptFeedback: {
      blockReason: 'SAFETY',
      safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH' }],
    },
    usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 },
    modelVersion: model,
    responseId: 'fake-blocked-1',
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** Google's error body: google.rpc.Status under `error`. */
function sendError(res: ServerResponse, status: number, message: string, details?: unknown[]): void {
  const error: Record<string, unknown> = { code: status, message, status: GOOGLE_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') };
  if (details) error.details = details;
  sendJson(res, status, { error });
}
