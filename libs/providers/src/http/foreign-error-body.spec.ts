import { foreignErrorBody } from './foreign-error-body';

describe('foreignErrorBody: an error not in the provider format', () => {
  it("relays a server's own JSON message (vLLM, Mistral, TGI, Ollama, FastAPI): the client needs it", () => {
    const bodies = [
      { object: 'error', message: "This model's maximum context length is 4096 tokens.", code: 400 },
      { error: 'Input validation error: `inputs` must have less than 4096 tokens', error_type: 'validation' },
      { detail: 'model not found' },
    ];
    expect(bodies.map((body) => foreignErrorBody(400, JSON.stringify(body)))).toEqual([
      { message: "The upstream provider answered 400: This model's maximum context length is 4096 tokens.", logDetail: null },
      { message: 'The upstream provider answered 400: Input validation error: `inputs` must have less than 4096 tokens', logDetail: null },
      { message: 'The upstream provider answered 400: model not found', logDetail: null },
    ]);
  });

  it("keeps a 5xx's text from the client, JSON or a page (it names internal hosts), for the operator's log", () => {
    expect(foreignErrorBody(500, JSON.stringify({ error: 'Post "http://10.0.3.7:39215/completion": EOF' }))).toEqual({
      message: "The upstream provider answered 500, with a body that is not its error format (the gateway's log has an excerpt)",
      logDetail: 'HTTP 500: Post "http://10.0.3.7:39215/completion": EOF',
    });
    expect(foreignErrorBody(502, 'Error occurred while trying to proxy: llama.corp.internal:8000 (10.0.3.7)\n')).toEqual({
      message: "The upstream provider answered 502, with a body that is not its error format (the gateway's log has an excerpt)",
      logDetail: 'HTTP 502: Error occurred while trying to proxy: llama.corp.internal:8000 (10.0.3.7)',
    });
    expect(foreignErrorBody(503, '')).toEqual({ message: 'The upstream provider answered 503', logDetail: null });
  });

  it("relays a 4xx page, which is about the client's request", () => {
    expect(foreignErrorBody(413, '<html>\n<body>Request Entity Too Large</body></html>')).toEqual({
      message: 'The upstream provider answered 413: <html> <body>Request Entity Too Large</body></html>',
      logDetail: null,
    });
  });
});
