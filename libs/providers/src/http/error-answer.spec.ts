import { errorAnswerStatus } from './error-answer';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** OpenAI's documented error body (https://platform.openai.com/docs/guides/error-codes). */
const openAIError = { error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } };

describe('errorAnswerStatus', () => {
  it('finds an error body answered with 2xx, on every operation: 502 when it names no status', () => {
    const operations = ['chat', 'completions', 'embeddings', 'native'] as const;
    expect(operations.map((operation) => errorAnswerStatus(json(openAIError), operation))).toEqual([502, 502, 502, 502]);
    // vLLM's and Anthropic's own error shapes say they are errors, and are no success for it.
    expect(errorAnswerStatus(json({ object: 'error', error: { message: 'boom' } }), 'native')).toBe(502);
    expect(errorAnswerStatus(json({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), 'native')).toBe(502);
    // Whitespace as servers write it.
    expect(errorAnswerStatus(Buffer.from('{ "error" : { "message": "boom" } }\n'), 'chat')).toBe(502);
  });

  it('takes the status the body names: a numeric code or status, in the error or beside it, 400 to 599', () => {
    // Gemini's error body.
    expect(errorAnswerStatus(json({ error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } }), 'chat')).toBe(429);
    // Azure's codes are strings.
    expect(errorAnswerStatus(json({ error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation have exceeded call rate limit.' } }), 'chat')).toBe(429);
    expect(errorAnswerStatus(json({ error: { message: 'bad', status: 400 } }), 'chat')).toBe(400);
    expect(errorAnswerStatus(json({ error: { message: 'busy' }, status: 503 }), 'chat')).toBe(503);
    // OpenAI's codes are names; numbers that are no error status are not statuses.
    expect(errorAnswerStatus(json({ error: { message: 'x', type: 'invalid_request_error', code: 'invalid_api_key' } }), 'chat')).toBe(502);
    expect(errorAnswerStatus(json({ error: { message: 'x', code: 200 } }), 'chat')).toBe(502);
    expect(errorAnswerStatus(json({ error: { message: 'x', code: 1234 } }), 'chat')).toBe(502);
    expect(errorAnswerStatus(json({ error: { message: 'x', code: 429.5 } }), 'chat')).toBe(502);
  });

  it('leaves successes alone, a member named error in them included', () => {
    const chat = { id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Say "error": {}' }, finish_reason: 'stop' }], error: { message: 'x' } };
    expect(errorAnswerStatus(json(chat), 'chat')).toBeNull();
    expect(errorAnswerStatus(json({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1] }], error: { message: 'x' } }), 'embeddings')).toBeNull();
    // Gemini's and Anthropic's answers.
    expect(errorAnswerStatus(json({ candidates: [{ content: { parts: [{ text: 'error' }] } }], error: {} }), 'chat')).toBeNull();
    expect(errorAnswerStatus(json({ id: 'msg_1', type: 'message', content: [{ type: 'text', text: 'hi' }], error: {} }), 'chat')).toBeNull();
    expect(errorAnswerStatus(json({ embeddings: [{ values: [0.1] }], error: {} }), 'embeddings')).toBeNull();
  });

  it('on a native path, any object of the API is an answer: a Responses API object, a batch, a failed job', () => {
    expect(errorAnswerStatus(json({ id: 'resp_1', object: 'response', status: 'completed', error: null, output: [] }), 'native')).toBeNull();
    expect(errorAnswerStatus(json({ id: 'resp_1', object: 'response', status: 'failed', error: { code: 'server_error', message: 'The model failed.' } }), 'native')).toBeNull();
    expect(errorAnswerStatus(json({ id: 'batch_1', object: 'batch', errors: null, error_file_id: null }), 'native')).toBeNull();
    expect(errorAnswerStatus(json({ id: 'ftjob-1', object: 'fine_tuning.job', status: 'failed', error: { code: 'invalid_training_file', message: 'bad file', param: 'training_file' } }), 'native')).toBeNull();
    // Azure's legacy image operation: no `object`, but an id.
    expect(errorAnswerStatus(json({ id: 'op-1', created: 1, status: 'failed', error: { code: 'contentFilter', message: 'filtered' } }), 'native')).toBeNull();
    // Moderations carry no `object`, and no top-level error either.
    expect(errorAnswerStatus(json({ id: 'modr-1', model: 'omni-moderation-latest', results: [{ flagged: false }] }), 'native')).toBeNull();
  });

  it("never parses an answer again when no member named error holds an object (every Responses API answer has \"error\": null)", () => {
    // A Responses answer is parsed once already, to read its usage; with an image it is megabytes.
    const response = { id: 'resp_1', object: 'response', status: 'completed', error: null, output: [{ type: 'image_generation_call', result: 'iVBORw0KGgo'.repeat(1_000) }], usage: { input_tokens: 1 } };
    const parse = jest.spyOn(JSON, 'parse');
    try {
      expect(errorAnswerStatus(json(response), 'native')).toBeNull();
      expect(errorAnswerStatus(Buffer.from('{"id":"resp_1","object":"response","error" :\n null,"output":[]}'), 'native')).toBeNull();
      // A string that says "error" is no member either.
      expect(errorAnswerStatus(json({ id: 'c', choices: [{ message: { content: 'an "error": {} in text' } }], note: ['error', '"error"'] }), 'chat')).toBeNull();
      expect(parse).not.toHaveBeenCalled();
      // Whereas an error object, however spaced, is still read.
      expect(errorAnswerStatus(Buffer.from('{"error"\r\n\t: \t{"message":"boom","code":503}}'), 'chat')).toBe(503);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });

  it('counts only a top-level error that is a non-null object', () => {
    expect(errorAnswerStatus(json({ error: null }), 'chat')).toBeNull();
    expect(errorAnswerStatus(json({ error: 'boom' }), 'chat')).toBeNull();
    expect(errorAnswerStatus(json({ error: [{ message: 'boom' }] }), 'chat')).toBeNull();
    expect(errorAnswerStatus(json([{ error: { message: 'boom' } }]), 'chat')).toBeNull();
    expect(errorAnswerStatus(json({ result: { error: { message: 'boom' } } }), 'native')).toBeNull();
    expect(errorAnswerStatus(Buffer.from('not json "error"'), 'chat')).toBeNull();
    expect(errorAnswerStatus(Buffer.alloc(0), 'chat')).toBeNull();
  });
});
