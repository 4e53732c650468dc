import { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer, readJsonRequest } from './loopback-server';

export interface CustomReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | null;
}

export const ACME_SECRET = 'acme-upstream-secret';

/**
 * A loopback stand-in for a provider with its own, non-OpenAI wire format ("Acme"):
 *
 *   POST /v2/generate  {"modelName": "...", "input": {"turns": [{"speaker", "text"}]}, "options": {"streaming": bool}}
 *   → {"result": {"outputs": [{"text": "..."}]}, "meta": {...}}
 *   → streaming: `event: token` / `data: {"token":{"text":"..."}}` events, `: keep-alive` comments,
 *     and `data: <END>` as the last one.
 *   Errors: {"fault": {"reason": "..."}} with the status.
 *
 * The credential is accepted either as `x-acme-key: <secret>` or `Authorization: Bearer <secret>`
 * (tests assert which one arrived). Behaviour is chosen by the model name:
 * - `acme-empty`: one token, then ten keep-alive comments, then the end word
 * - `acme-400`: a 400 fault; `acme-401`: a 401 fault; `acme-403`: a 403 fault
 * - `acme-echo`: a 400 fault that quotes the credential it received (as careless servers do)
 * - `acme-linger`: after the end word, waits 3 s and sends more data before closing
 * - `acme-nul`: a stream whose bytes include a NUL (in a comment, relayed verbatim)
 */
export class FakeCustomProvider extends LoopbackServer<CustomReceivedRequest> {
  /** Stream responses that were closed by the gateway before the fake finished writing. */
  readonly closedEarly: string[] = [];
  protected readonly label = 'the fake custom provider';

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { request, malformed } = await readJsonRequest(req);
    if (malformed) return fault(res, 400, 'body is not JSON');
    const { method, path, headers, body } = request;
    this.requests.push({ method, path, headers, body });

    const authorized = req.headers['x-acme-key'] === ACME_SECRET || req.headers.authorization === `Bearer ${ACME_SECRET}`;
    if (!authorized) return fault(res, 401, 'missing or wrong key');
    if (req.method !== 'POST' || !['/v2/generate', '/v2/other'].includes(path)) return fault(res, 404, `no route ${req.method} ${path}`);
    const model = typeof body?.modelName === 'string' ? body.modelName : '';
    if (model === 'acme-400') return fault(res, 400, 'input too long');
    if (model === 'acme-401') return fault(res, 401, 'key revoked');
    if (model === 'acme-403') return fault(res, 403, 'key not allowed to use this model');
    if (model === 'acme-echo') return fault(res, 400, `key ${req.headers['x-acme-key'] ?? req.headers.authorization} may not use this model`);
    const streaming = (body?.options as { streaming?: unknown } | undefined)?.streaming === true;
    if (streaming) return this.stream(res, model);
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'acme-req-1' });
    res.end(JSON.stringify({ result: { outputs: [{ text: 'Why did the chicken cross the road?' }, { text: 'To get to the other side.' }] }, meta: { requestId: 'acme-1', model } }));
  }

  private stream(res: ServerResponse, model: string): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const events: string[] =
      model === 'acme-empty'
        ? ['event: token\ndata: {"token":{"text":"Hi"}}\n\n', ...new Array<string>(10).fill(': keep-alive\n\n'), 'data: <END>\n\n']
        : model === 'acme-nul'
          ? ['event: token\ndata: {"token":{"text":"Hi"}}\n\n', ': a NUL byte \u0000 in a comment\n\n', 'data: <END>\n\n']
          : [
            'event: token\ndata: {"token":{"text":"Knock, "}}\n\n',
            ': keep-alive\n\n',
            'event: token\ndata: {"token":{"text":"knock."}}\n\n',
            'event: token\ndata: {"token":{"text":" Who is there?"}}\n\n',
            'event: done\ndata: <END>\n\n',
          ];
    let index = 0;
    const timer = setInterval(() => {
      if (res.destroyed) {
        clearInterval(timer);
        this.closedEarly.push(model);
        return;
      }
      if (index < events.length) {
        res.write(events[index++]);
        return;
      }
      clearInterval(timer);
      if (model !== 'acme-linger') {
        res.end();
        return;
      }
      setTimeout(() => {
        if (res.destroyed) {
          this.closedEarly.push(model);
          return;
        }
        res.end('data: {"token":{"text":"AFTER THE END"}}\n\n');
      }, 3_000);
    }, 5);
  }
}

function fault(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ fault: { reason } }));
}
