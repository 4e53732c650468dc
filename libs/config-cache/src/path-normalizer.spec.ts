import { normalizePath } from './path-normalizer';

describe('normalizePath', () => {
  it.each([
    ['/v1/chat/completions', '/v1/chat/completions'],
    ['/V1/Chat/Completions', '/v1/chat/completions'],
    ['//v1///chat/completions/', '/v1/chat/completions'],
    ['/v1/chat%2Fcompletions', '/v1/chat/completions'],
    ['/v1/chat%2fcompletions?x=1', '/v1/chat/completions'],
    // The spellings a client or an admin might use for one path (Fastify itself routes only the exact one).
    ['/v1//chat/completions', '/v1/chat/completions'],
    ['/V1/chat/completions/', '/v1/chat/completions'],
    ['/v1/chat%2F%2Fcompletions//', '/v1/chat/completions'],
    ['/v1\\chat\\completions', '/v1/chat/completions'],
    ['/api/providers/openai/v1/chat/completions/?a=b', '/api/providers/openai/v1/chat/completions'],
    // Decoded once only: a double-encoded slash stays distinct (stricter, never looser).
    ['/v1/chat%252Fcompletions', '/v1/chat%2fcompletions'],
    ['/', '/'],
    ['/v1/%E0%A4%A', '/v1/%e0%a4%a'],
  ])('%s → %s', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });
});
