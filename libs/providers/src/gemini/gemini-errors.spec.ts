import { fixture } from './__fixtures__/fixtures';
import { toGeminiProviderError } from './gemini-errors';

describe('toGeminiProviderError', () => {
  it('reports an invalid stored key (Gemini says 400 API_KEY_INVALID, in an array) as a 502 upstream_auth_error', () => {
    expect(toGeminiProviderError(400, fixture('error-400-api-key-invalid.json'), {})).toEqual({
      status: 502,
      body: {
        error: {
          message: "Gemini rejected the gateway's stored credential (INVALID_ARGUMENT). Ask an admin to check the provider setting.",
          type: 'api_error',
          param: null,
          code: 'upstream_auth_error',
        },
      },
      retryable: false,
      retryAfter: null,
    });
  });

  it('reports 403 PERMISSION_DENIED and a bare 401 as 502 upstream_auth_error', () => {
    expect(toGeminiProviderError(403, fixture('error-403-permission-denied.json'), {})).toEqual({
      status: 502,
      body: {
        error: {
          message:
            "Gemini rejected the gateway's stored credential (PERMISSION_DENIED). Ask an admin to check the provider setting.",
          type: 'api_error',
          param: null,
          code: 'upstream_auth_error',
        },
      },
      retryable: false,
      retryAfter: null,
    });
    expect(toGeminiProviderError(401, Buffer.from(''), {})).toEqual({
      status: 502,
      body: { error: { message: "Gemini rejected the gateway's stored credential (HTTP 401). Ask an admin to check the provider setting.", type: 'api_error', param: null, code: 'upstream_auth_error' } },
      retryable: false,
      retryAfter: null,
    });
  });

  it('keeps other 400s and 404s as client errors', () => {
    expect(toGeminiProviderError(400, fixture('error-400-invalid-argument.json'), {})).toEqual({
      status: 400,
      body: {
        error: { message: '* GenerateContentRequest.contents: contents is not specified\n', type: 'invalid_request_error', param: null, code: 'invalid_argument' },
      },
      retryable: false,
      retryAfter: null,
    });
    expect(toGeminiProviderError(404, fixture('error-404-not-found.json'), {})).toEqual({
      status: 404,
      body: {
        error: {
          message:
            'models/gemini-9-ultra is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.',
          type: 'invalid_request_error',
          param: null,
          code: 'not_found',
        },
      },
      retryable: false,
      retryAfter: null,
    });
  });

  it('makes 429 a retryable rate_limit_error, with retry-after from the header or else from RetryInfo', () => {
    const expected = {
      status: 429,
      body: {
        error: {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'rate_limit_error',
          param: null,
          code: 'resource_exhausted',
        },
      },
      retryable: true,
    };
    expect(toGeminiProviderError(429, fixture('error-429-resource-exhausted.json'), { 'retry-after': '7' })).toEqual({ ...expected, retryAfter: '7' });
    expect(toGeminiProviderError(429, fixture('error-429-resource-exhausted.json'), {})).toEqual({ ...expected, retryAfter: '17' });
  });

  it('does not retry a RESOURCE_EXHAUSTED of per-day quotas only (they reset at midnight Pacific), keeping its retry-after', () => {
    expect(toGeminiProviderError(429, fixture('error-429-per-day.json'), {})).toMatchObject({ status: 429, retryable: false, retryAfter: '22', body: { error: { type: 'rate_limit_error', code: 'resource_exhausted' } } });
  });

  it('retries a RESOURCE_EXHAUSTED that names a per-minute quota too, or no quota: Google documents it as a rate limit', () => {
    expect(toGeminiProviderError(429, fixture('error-429-per-minute-and-day.json'), {})).toMatchObject({ retryable: true, retryAfter: '41' });
    const bare = Buffer.from(JSON.stringify({ error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } }));
    expect(toGeminiProviderError(429, bare, {})).toMatchObject({ retryable: true, retryAfter: null });
  });

  it("obeys an x-should-retry from in front of Google before the status", () => {
    expect(toGeminiProviderError(503, fixture('error-503-unavailable.json'), { 'x-should-retry': 'false', 'retry-after': '3' })).toMatchObject({ status: 503, retryable: false, retryAfter: '3' });
  });

  it('keeps 5xx statuses and makes them retryable', () => {
    expect(toGeminiProviderError(503, fixture('error-503-unavailable.json'), { 'retry-after': ['3'] })).toEqual({
      status: 503,
      body: { error: { message: 'The model is overloaded. Please try again later.', type: 'api_error', param: null, code: 'unavailable' } },
      retryable: true,
      retryAfter: '3',
    });
  });

  it("wraps a non-JSON body (a proxy's page): the status for the client, the text for the operator's log", () => {
    expect(toGeminiProviderError(502, Buffer.from('<html>\n  <body>Bad Gateway from 10.0.3.7</body>\n</html>'), {})).toEqual({
      status: 502,
      body: { error: { message: "The upstream provider answered 502, with a body that is not its error format (the gateway's log has an excerpt)", type: 'api_error', param: null, code: 'upstream_502' } },
      retryable: true,
      retryAfter: null,
      logDetail: 'HTTP 502: <html> <body>Bad Gateway from 10.0.3.7</body> </html>',
    });
  });
});
