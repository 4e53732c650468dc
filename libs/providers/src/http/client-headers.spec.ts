import { forwardedClientHeader } from './client-headers';

describe('forwardedClientHeader', () => {
  it('gives the value, repeated headers joined', () => {
    expect(forwardedClientHeader({ 'openai-beta': 'assistants=v2', connection: 'keep-alive' }, 'openai-beta')).toBe('assistants=v2');
    expect(forwardedClientHeader({ 'anthropic-beta': ['a', 'b'] }, 'anthropic-beta')).toBe('a,b');
    expect(forwardedClientHeader({ 'user-agent': '' }, 'user-agent')).toBeNull();
    expect(forwardedClientHeader({}, 'user-agent')).toBeNull();
  });

  it('drops a header the client names in Connection: it is for this hop only', () => {
    const headers = { connection: 'keep-alive, OpenAI-Beta,User-Agent', 'openai-beta': 'hop-only', 'user-agent': 'hop-only-ua', accept: 'application/json' };
    expect(forwardedClientHeader(headers, 'openai-beta')).toBeNull();
    expect(forwardedClientHeader(headers, 'user-agent')).toBeNull();
    expect(forwardedClientHeader(headers, 'accept')).toBe('application/json');
  });
});
