import { matchRoute, toCustomProviderRecord } from './custom-provider-record';
import { normalizeAuthenticationParam, normalizeProviderName, toCredentialHeaders } from './custom-provider-rules';
import { RouteConfig, RouteConfigError, validateRouteConfigs } from './route-config';

const route = (overrides: Partial<RouteConfig> = {}): RouteConfig => ({
  path: '/chat/completions',
  targetUrl: 'https://api.example.com/v1/chat/completions',
  modelLocation: 'model',
  requestPromptLocation: 'messages.#.content',
  responseCompletionLocation: 'choices.#.message.content',
  streamLocation: 'stream',
  streamEndWord: '[DONE]',
  streamResponseCompletionLocation: 'choices.#.delta.content',
  streamMaxEmptyMessages: 10,
  ...overrides,
});

function fieldOf(action: () => unknown): string | null {
  try {
    action();
    return null;
  } catch (error) {
    if (error instanceof RouteConfigError) return error.field;
    throw error;
  }
}

describe('validateRouteConfigs', () => {
  it('accepts the reference example and normalises optional stream fields', () => {
    const [config] = validateRouteConfigs([
      { path: ' /generate ', targetUrl: 'https://x.example/v1', modelLocation: 'model', requestPromptLocation: 'prompt', responseCompletionLocation: 'text' } as RouteConfig,
    ]);
    expect(config).toEqual({
      path: '/generate',
      targetUrl: 'https://x.example/v1',
      modelLocation: 'model',
      requestPromptLocation: 'prompt',
      responseCompletionLocation: 'text',
      streamLocation: '',
      streamEndWord: '',
      streamResponseCompletionLocation: '',
      streamMaxEmptyMessages: 0,
    });
    expect(validateRouteConfigs([route()])).toEqual([route()]);
  });

  it.each<[string, RouteConfig[], string]>([
    ['no routes', [], 'route_configs'],
    ['a path without a leading slash', [route({ path: 'chat' })], 'route_configs[0].path'],
    ['a path with a query', [route({ path: '/chat?x=1' })], 'route_configs[0].path'],
    ['a path with white space', [route({ path: '/chat completions' })], 'route_configs[0].path'],
    ['duplicated paths', [route(), route({ targetUrl: 'https://other.example/' })], 'route_configs[1].path'],
    ['a missing model_location', [route({ modelLocation: '' })], 'route_configs[0].model_location'],
    ['a missing request_prompt_location', [route({ requestPromptLocation: ' ' })], 'route_configs[0].request_prompt_location'],
    ['a missing response_completion_location', [route({ responseCompletionLocation: '' })], 'route_configs[0].response_completion_location'],
    ['streaming without a completion location', [route({ streamResponseCompletionLocation: '' })], 'route_configs[0].stream_response_completion_location'],
    ['an unsupported location', [route({ responseCompletionLocation: 'choices.#(index==0).text' })], 'route_configs[0].response_completion_location'],
    ['a bad stream location', [route({ streamLocation: 'a..b' })], 'route_configs[0].stream_location'],
    ['a negative empty-message limit', [route({ streamMaxEmptyMessages: -1 })], 'route_configs[0].stream_max_empty_messages'],
    ['a fractional empty-message limit', [route({ streamMaxEmptyMessages: 1.5 })], 'route_configs[0].stream_max_empty_messages'],
    ['a path no request URL can hold as written', [route({ path: '/ü' })], 'route_configs[0].path'],
    ['a path with a stray percent sign', [route({ path: '/50%off' })], 'route_configs[0].path'],
  ])('refuses %s', (_name, configs, field) => {
    expect(fieldOf(() => validateRouteConfigs(configs))).toBe(field);
  });

  it('accepts paths as request URLs write them, percent-encoding included', () => {
    expect(fieldOf(() => validateRouteConfigs([route({ path: "/v1/models/gpt-4o:generate@beta~1,(x)*+$&'=!;" }), route({ path: '/%C3%BC' })]))).toBeNull();
  });

  it('lets a route without stream_location leave the stream fields empty', () => {
    expect(fieldOf(() => validateRouteConfigs([route({ streamLocation: '', streamResponseCompletionLocation: '', streamEndWord: '' })]))).toBeNull();
  });
});

describe('matchRoute', () => {
  const { record } = toCustomProviderRecord({
    id: 'id-1',
    provider: 'acme',
    authenticationParam: null,
    routeConfigs: [route(), route({ path: '/v2/generate', streamLocation: '', streamResponseCompletionLocation: '' })],
  });

  it('matches the path exactly, ignoring the query and one trailing slash', () => {
    expect(matchRoute(record, '/chat/completions')?.targetUrl).toBe('https://api.example.com/v1/chat/completions');
    expect(matchRoute(record, '/chat/completions?target_url=http://127.0.0.1')?.path).toBe('/chat/completions');
    expect(matchRoute(record, '/chat/completions/')?.path).toBe('/chat/completions');
    expect(matchRoute(record, '/v2/generate')?.stream).toBeNull();
  });

  it.each(['/chat', '/chat/completions/x', '/Chat/Completions', '/chat/../chat/completions', '/chat%2Fcompletions', '', '/'])('does not match %s', (path) => {
    expect(matchRoute(record, path)).toBeNull();
  });

  it('compiles the locations once', () => {
    const compiled = matchRoute(record, '/chat/completions')!;
    expect(compiled.model.segments).toEqual([{ kind: 'key', key: 'model' }]);
    expect(compiled.streamEndWord).toBe('[DONE]');
    expect(compiled.streamMaxEmptyMessages).toBe(10);
  });

  it('leaves out a stored route that no longer compiles, keeping the others', () => {
    const { record: partial, skipped } = toCustomProviderRecord({
      id: 'id-2',
      provider: 'broken',
      authenticationParam: null,
      routeConfigs: [route(), route({ path: '/bad', modelLocation: 'a..b' })],
    });
    expect(skipped).toEqual(['/bad']);
    expect(partial.routes.size).toBe(1);
  });
});

describe('provider name and credential header rules', () => {
  it('provider names are URL-safe, lower-cased, and never a built-in provider', () => {
    expect(normalizeProviderName(' Acme-LLM_2 ')).toBe('acme-llm_2');
    for (const bad of ['', 'has space', 'a/b', '../x', '-lead', 'é', 'x'.repeat(64), 'openai', 'Anthropic', 'custom', 'vllm', 'a..b']) {
      expect(fieldOf(() => normalizeProviderName(bad))).toBe('provider');
    }
  });

  it('authentication_param is a header name; empty means the Authorization: Bearer default', () => {
    expect(normalizeAuthenticationParam(undefined)).toBeNull();
    expect(normalizeAuthenticationParam('  ')).toBeNull();
    expect(normalizeAuthenticationParam('X-Api-Key')).toBe('x-api-key');
    expect(normalizeAuthenticationParam('apikey')).toBe('apikey');
    for (const bad of ['has space', 'a:b', 'host', 'Content-Length', 'transfer-encoding', 'x'.repeat(129), 'bad\r\nheader']) {
      expect(fieldOf(() => normalizeAuthenticationParam(bad))).toBe('authentication_param');
    }
  });

  it('puts the credential in a header, never the URL', () => {
    expect(toCredentialHeaders(null, 'sk-1')).toEqual({ authorization: 'Bearer sk-1' });
    expect(toCredentialHeaders('authorization', 'sk-1')).toEqual({ authorization: 'Bearer sk-1' });
    expect(toCredentialHeaders('x-api-key', 'sk-1')).toEqual({ 'x-api-key': 'sk-1' });
  });
});
