import { OpenAIStreamObserver } from './openai-stream';

const chunk = (body: object) => `data: ${JSON.stringify(body)}\n\n`;
const content = (text: string) =>
  chunk({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: text } }], usage: null });
const usageChunk = chunk({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } });

describe('OpenAIStreamObserver', () => {
  it('captures usage, model and text, and strips the usage chunk the client did not ask for', () => {
    const observer = new OpenAIStreamObserver(false);
    const relayed = [content('Hel'), content('lo'), usageChunk, 'data: [DONE]\n\n'].filter((e) => observer.observe(e));
    expect(relayed).toEqual([content('Hel'), content('lo'), 'data: [DONE]\n\n']);
    expect(observer.usage).toEqual({ promptTokens: 9, completionTokens: 2 });
    expect(observer.model).toBe('gpt-4o-mini');
    expect(observer.completionText).toBe('Hello');
    expect(observer.sawDone).toBe(true);
  });

  it("reads the model from the first chunk that names one: Azure's first (content filter results) has \"model\": \"\"", () => {
    const observer = new OpenAIStreamObserver(false);
    const filterResults = chunk({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] });
    [filterResults, content('Hel'), content('lo'), 'data: [DONE]\n\n'].forEach((e) => observer.observe(e));
    expect(observer.model).toBe('gpt-4o-mini');
    expect(observer.completionText).toBe('Hello');
  });

  it('keeps the usage chunk when the client asked for it', () => {
    const observer = new OpenAIStreamObserver(true);
    expect(observer.observe(usageChunk)).toBe(true);
  });

  it('relays an in-stream error frame and remembers its code', () => {
    const observer = new OpenAIStreamObserver(false);
    const error = chunk({ error: { message: 'The server had an error', type: 'server_error', param: null, code: null } });
    expect(observer.observe(error)).toBe(true);
    expect(observer.errorCode).toBe('server_error');
  });

  it('relays events that carry usage but are not chat chunks (assistants runs) when nothing is stripped', () => {
    const runCompleted = `event: thread.run.completed\ndata: ${JSON.stringify({ id: 'run_1', object: 'thread.run', model: 'gpt-4o-mini', status: 'completed', usage: { prompt_tokens: 20, completion_tokens: 11, total_tokens: 31 } })}\n\n`;
    const observer = new OpenAIStreamObserver(true);
    expect(observer.observe(runCompleted)).toBe(true);
    expect(observer.usage).toEqual({ promptTokens: 20, completionTokens: 11 });
    expect(observer.model).toBe('gpt-4o-mini');
  });

  it('relays comments and unparseable data untouched', () => {
    const observer = new OpenAIStreamObserver(false);
    expect(observer.observe(': ping\n\n')).toBe(true);
    expect(observer.observe('data: not-json\n\n')).toBe(true);
    expect(observer.usage).toBeNull();
  });
});

describe('OpenAIStreamObserver without usage from the provider', () => {
  it('still recovers every chunk\'s text, in order, for estimation', () => {
    const observer = new OpenAIStreamObserver(false);
    const piece = (text: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content: text } }] })}\n\n`;
    ['a', 'b', 'c'].forEach((text) => expect(observer.observe(piece(text))).toBe(true));
    expect(observer.usage).toBeNull();
    expect(observer.model).toBe('m');
    expect(observer.completionText).toBe('abc');
  });

  it('counts streamed tool calls as generated text (a tool-call answer is not free)', () => {
    const observer = new OpenAIStreamObserver(false);
    const call = (delta: object) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta }] })}\n\n`;
    observer.observe(call({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }));
    observer.observe(call({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }));
    observer.observe(call({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }));
    expect(observer.completionText).toBe('get_weather{"city":"Paris"}');
  });

  it('notices usage and errors in any JSON spacing', () => {
    const observer = new OpenAIStreamObserver(false);
    observer.observe(`data: {"model": "m", "choices": [{"delta": {"content": "x"}}]}\n\n`);
    expect(observer.observe(`data: {"model": "m", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}\n\n`)).toBe(false);
    expect(observer.usage).toEqual({ promptTokens: 3, completionTokens: 1 });
    observer.observe(`data: {"error": {"message": "boom", "code": "server_error"}}\n\n`);
    expect(observer.errorCode).toBe('server_error');
  });
});

describe('OpenAIStreamObserver on a Responses API stream', () => {
  const event = (type: string, body: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;
  const response = (status: string, usage: object | null, error: object | null = null) => ({
    id: 'resp_1',
    object: 'response',
    created_at: 1_763_769_600,
    status,
    error,
    model: 'gpt-4o-mini-2024-07-18',
    output: [],
    usage,
  });
  const delta = (text: string, sequence: number) => event('response.output_text.delta', { sequence_number: sequence, item_id: 'msg_1', output_index: 0, content_index: 0, delta: text, logprobs: [] });

  it('relays every event and reads the model and usage from the response object of its lifecycle events', () => {
    const observer = new OpenAIStreamObserver(false);
    const events = [
      event('response.created', { sequence_number: 0, response: response('in_progress', null) }),
      delta('Hel', 1),
      delta('lo', 2),
      event('response.completed', { sequence_number: 3, response: response('completed', { input_tokens: 12, input_tokens_details: { cached_tokens: 4 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 14 }) }),
    ];
    expect(events.filter((e) => observer.observe(e))).toEqual(events);
    expect(observer.model).toBe('gpt-4o-mini-2024-07-18');
    expect(observer.usage).toEqual({ promptTokens: 12, completionTokens: 2, cacheReadTokens: 4 });
    expect(observer.errorCode).toBeNull();
  });

  it('recovers the generated text (output, tool arguments) when the stream ends before its usage', () => {
    const observer = new OpenAIStreamObserver(false);
    observer.observe(event('response.created', { sequence_number: 0, response: response('in_progress', null) }));
    observer.observe(delta('Hi ', 1));
    observer.observe(event('response.function_call_arguments.delta', { sequence_number: 2, item_id: 'fc_1', output_index: 1, delta: '{"city":' }));
    observer.observe(delta('there', 3));
    expect(observer.usage).toBeNull();
    expect(observer.completionText).toBe('Hi {"city":there');
  });

  it('remembers the code of a failed response and of an error event', () => {
    const failed = new OpenAIStreamObserver(false);
    failed.observe(event('response.failed', { sequence_number: 5, response: response('failed', null, { code: 'server_error', message: 'The model failed.' }) }));
    expect(failed.errorCode).toBe('server_error');
    const errored = new OpenAIStreamObserver(false);
    expect(errored.observe(event('error', { sequence_number: 1, code: 'rate_limit_exceeded', message: 'Slow down', param: null }))).toBe(true);
    expect(errored.errorCode).toBe('rate_limit_exceeded');
  });

  it('relays JSON data that is not an event object without reading it', () => {
    const observer = new OpenAIStreamObserver(false);
    expect(observer.observe('data: null\n\n')).toBe(true);
    expect(observer.observe('data: 5\n\n')).toBe(true);
    expect(observer.usage).toBeNull();
  });
});
