import { toOpenAIProviderError } from './openai-errors';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('toOpenAIProviderError', () => {
  it('relays an OpenAI-shaped error as written, filling in only what is missing', () => {
    const error = toOpenAIProviderError(400, body({ error: { message: 'bad', type: 'invalid_request_error', param: 'model', code: 'model_not_found', extra: 1 } }), {});
    expect(error).toMatchObject({ status: 400, retryable: false, body: { error: { message: 'bad', type: 'invalid_request_error', param: 'model', code: 'model_not_found', extra: 1 } } });
  });

  it('types an error without a type by its status, as OpenAI types its own (Azure 429s come without one)', () => {
    const typeOf = (status: number) => toOpenAIProviderError(status, body({ error: { message: 'x', code: String(status) } }), { 'retry-after': '3' }).body.error.type;
    expect([typeOf(400), typeOf(404), typeOf(429), typeOf(500), typeOf(503)]).toEqual(['invalid_request_error', 'invalid_request_error', 'requests', 'api_error', 'api_error']);
    expect(toOpenAIProviderError(429, body({ error: { message: 'slow down' } }), { 'retry-after': '3' })).toMatchObject({ retryable: true, retryAfter: '3' });
    // A body that is not OpenAI's is wrapped, typed the same way.
    expect(toOpenAIProviderError(429, Buffer.from('Too Many Requests'), {}).body.error).toMatchObject({ type: 'requests', code: 'upstream_429' });
  });
});
