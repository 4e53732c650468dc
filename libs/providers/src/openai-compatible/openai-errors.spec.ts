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

  it("does not retry OpenAI's 429 for an account out of credit (insufficient_quota): no wait ends it, an admin must act", () => {
    const outOfCredit = {
      error: {
        message: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    };
    expect(toOpenAIProviderError(429, body(outOfCredit), {})).toEqual({ status: 429, body: outOfCredit, retryable: false, retryAfter: null, accountOutOfCredit: true });
    // A rate limit is still worth a retry, and no admin's business.
    const rateLimited = toOpenAIProviderError(429, body({ error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } }), { 'retry-after': '2' });
    expect(rateLimited).toMatchObject({ retryable: true, retryAfter: '2' });
    expect(rateLimited.accountOutOfCredit).toBeUndefined();
  });

  it("obeys the upstream's x-should-retry before the status, either way", () => {
    const serverError = body({ error: { message: 'The server had an error', type: 'server_error', param: null, code: null } });
    expect(toOpenAIProviderError(500, serverError, { 'x-should-retry': 'false' }).retryable).toBe(false);
    expect(toOpenAIProviderError(400, body({ error: { message: 'not now', type: 'invalid_request_error', param: null, code: null } }), { 'x-should-retry': 'true' }).retryable).toBe(true);
  });

  it('leaves a refused stored credential unretried whatever the upstream advises: the gateway answers it 502', () => {
    expect(toOpenAIProviderError(401, body({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }), { 'x-should-retry': 'true' })).toMatchObject({ status: 502, retryable: false });
  });
});
