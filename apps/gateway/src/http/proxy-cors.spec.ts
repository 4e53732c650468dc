import Fastify from 'fastify';
import { proxyCorsHook } from './proxy-cors';

/** A proxy route behind the hook, as configureFastify adds it. */
async function serve(origins: '*' | string[]) {
  const app = Fastify();
  const hook = proxyCorsHook(origins);
  if (hook) app.addHook('onRequest', hook);
  app.all('/v1/chat/completions', async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('proxyCorsHook', () => {
  it('echoes a listed origin with Vary: Origin, and gives an unlisted one nothing to read', async () => {
    const app = await serve(['https://app.example.com']);
    const listed = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { origin: 'https://app.example.com' } });
    expect([listed.headers['access-control-allow-origin'], listed.headers.vary]).toEqual(['https://app.example.com', 'Origin']);
    const unlisted = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { origin: 'https://evil.example.com' } });
    expect([unlisted.statusCode, unlisted.headers['access-control-allow-origin'], unlisted.headers.vary]).toEqual([200, undefined, 'Origin']);
    // A preflight of an unlisted origin is not answered as one: the route (the proxy's key checks) has it.
    const preflight = await app.inject({ method: 'OPTIONS', url: '/v1/chat/completions', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } });
    expect([preflight.statusCode, preflight.headers['access-control-allow-methods']]).toEqual([200, undefined]);
    await app.close();
  });

  it('answers a preflight of an allowed origin itself, with the headers it asked for, varying on them', async () => {
    const app = await serve('*');
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/chat/completions',
      headers: { origin: 'https://any.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-max-age': '600',
      'content-length': '0',
      vary: 'Access-Control-Request-Headers',
    });
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.body).toBe('');
    await app.close();
  });

  it('is no hook at all with PROXY_CORS_ORIGINS=none', () => {
    expect(proxyCorsHook([])).toBeNull();
  });
});
