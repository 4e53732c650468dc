import { normalizePath } from './path-normalizer';

describe('normalizePath', () => {
  it.each([
    ['/v1/chat/completions', '/v1/chat/completions'],
    ['/V1/Chat/Completions', '/v1/chat/completions'],
    ['//v1///chat/completions/', '/v1/chat/completions'],
    ['/v1/chat%2Fcompletions', '/v1/chat/completions'],
    ['/v1/chat%2fcompletions?x=1', '/v1/chat/completions'],
    ['/', '/'],
    ['/v1/%E0%A4%A', '/v1/%e0%a4%a'],
  ])('%s → %s', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });
});
