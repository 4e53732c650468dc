import fixture from './__fixtures__/errors.json';
import { toAnthropicErrorBody, toProviderError } from './anthropic-errors';

describe('toProviderError', () => {
  it.each(fixture.cases)('$name', ({ status, body, headers, expected }) => {
    const raw = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    expect(toProviderError(status, raw, headers)).toStrictEqual(expected);
  });
});

describe('toAnthropicErrorBody', () => {
  it.each([
    [400, undefined, 'invalid_request_error'],
    [401, undefined, 'authentication_error'],
    [404, undefined, 'not_found_error'],
    [413, undefined, 'request_too_large'],
    [429, undefined, 'rate_limit_error'],
    [500, undefined, 'api_error'],
    [502, undefined, 'api_error'],
    [529, undefined, 'overloaded_error'],
    [422, undefined, 'invalid_request_error'],
    [400, 'permission_error', 'permission_error'],
  ] as const)('status %i (type %s) → %s', (status, type, expected) => {
    expect(toAnthropicErrorBody(status, 'boom', type)).toStrictEqual({ type: 'error', error: { type: expected, message: 'boom' } });
  });
});
