import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { Server, createServer } from 'node:http';
import { ConnectionRecorder } from './support/connection-recorder';
import { ACME_SECRET, FakeCustomProvider } from './support/fake-custom-provider';
import { FakeOpenAI } from './support/fake-openai';
import { TestStack, eventually, startTestStack } from './support/test-stack';

const CLIENT_KEY = 'tg-ssrf-client-key';

const route = (targetUrl: string, path = '/generate') => ({
  path,
  target_url: targetUrl,
  model_location: 'modelName',
  request_prompt_location: 'input.turns.#.text',
  response_completion_location: 'result.outputs.#.text',
});

/**
 * The SSRF guard through the real gateway (allow-list: 127.0.0.1 only, as the test stack sets
 * it). Refused targets point at a listener that records every connection on 127.0.0.2 and ::1,
 * so "refused" is checked as "no connection was made", not only as a status code.
 */
describe('SSRF guard (e2e)', () => {
  let stack: TestStack;
  let recorder: ConnectionRecorder;
  let acme: FakeCustomProvider;
  let openai: FakeOpenAI;
  let redirector: Server;
  let redirectorPort: number;
  let providerId: string;
  let openaiSettingId: string;

  beforeAll(async () => {
    recorder = new ConnectionRecorder();
    await recorder.start();
    acme = new FakeCustomProvider();
    await acme.start();
    openai = new FakeOpenAI();
    await openai.start();
    // An allowed upstream that answers every request with a redirect to a refused address.
    redirector = createServer((_req, res) => {
      res.writeHead(307, { location: `http://127.0.0.2:${recorder.port}/stolen`, 'content-type': 'application/json' });
      res.end('{"redirect":true}');
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    redirectorPort = (redirector.address() as AddressInfo).port;

    // Short resyncs: rows written straight into the database reach the gateway quickly.
    stack = await startTestStack({ CONFIG_RESYNC_INTERVAL_MS: '200' });
    const provider = await stack.admin<{ id: string }>('POST', '/api/custom/providers', {
      provider: 'acme',
      route_configs: [route(`${acme.origin}/v2/generate`), route(`http://127.0.0.1:${redirectorPort}/anything`, '/redirect')],
      authentication_param: 'x-acme-key',
    });
    expect(provider.status).toBe(200);
    providerId = provider.body.id;
    const customSetting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'custom', name: 'acme', setting: { apiKey: ACME_SECRET } });
    const openaiSetting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: openai.baseUrl } });
    openaiSettingId = openaiSetting.body.id;
    await stack.admin('PUT', '/api/key-management/keys', { name: 'ssrf', key: CLIENT_KEY, settingIds: [customSetting.body.id, openaiSettingId] });
  });

  afterAll(async () => {
    await stack?.close();
    await acme?.stop();
    await openai?.stop();
    await new Promise<void>((resolve) => (redirector ? redirector.close(() => resolve()) : resolve()));
    await recorder?.stop();
  });

  beforeEach(() => {
    recorder.connections.length = 0;
  });

  const refusedTargets = () => {
    const port = recorder.port;
    return [
      `http://127.0.0.2:${port}/x`,
      `http://0x7f000002:${port}/x`,
      `http://0X7F.0.0.2:${port}/x`,
      `http://2130706434:${port}/x`,
      `http://017700000002:${port}/x`,
      `http://0177.0.0.2:${port}/x`,
      `http://127.2:${port}/x`,
      `http://127.0.0.2.:${port}/x`,
      `http://[::1]:${port}/x`,
      `http://[0:0:0:0:0:0:0:1]:${port}/x`,
      `http://[::ffff:127.0.0.2]:${port}/x`,
      `http://[::ffff:7f00:2]:${port}/x`,
      `https://127.0.0.2:${port}/x`,
      `https://[::1]:${port}/x`,
      `http://localhost:${port}/x`,
      `https://localhost:${port}/x`,
      `https://api.localhost:${port}/x`,
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'https://169.254.169.254/latest/meta-data/',
      'https://2852039166/latest/meta-data/',
      'https://[fd00:ec2::254]/latest/meta-data/',
      'https://[64:ff9b::a9fe:a9fe]/',
      'https://[fe80::1]/',
      'https://10.0.0.1/',
      'https://172.16.0.1/',
      'https://192.168.1.1/',
      'https://100.64.0.1/',
      `https://0.0.0.0:${port}/`,
      `https://0:${port}/`,
      'https://224.0.0.1/',
      'https://255.255.255.255/',
      'http://api.example.com/v1',
      'ftp://api.example.com/file',
      'file:///etc/passwd',
      'https://user:password@api.example.com/',
    ];
  };

  it('the recorder is reachable where refused targets point (so "no connection" is meaningful)', async () => {
    expect(recorder.hosts).toContain('127.0.0.2');
    for (const host of recorder.hosts) await recorder.probe(host);
    expect(recorder.connections).toHaveLength(recorder.hosts.length);
  });

  it('refuses internal and non-https target_url values when a custom provider is saved, in any notation', async () => {
    for (const target of refusedTargets()) {
      const created = await stack.admin<{ detail: string }>('POST', '/api/custom/providers', { provider: 'evil', route_configs: [route(target)] });
      expect({ target, status: created.status }).toEqual({ target, status: 400 });
      expect(created.body.detail).toContain('route_configs[0].target_url is not allowed');
      const patched = await stack.admin<{ detail: string }>('PATCH', `/api/custom/providers/${providerId}`, { route_configs: [route(target)] });
      expect({ target, status: patched.status }).toEqual({ target, status: 400 });
    }
    const metadata = await stack.admin<{ detail: string }>('POST', '/api/custom/providers', { provider: 'evil', route_configs: [route('http://169.254.169.254/latest/')] });
    expect(metadata.body.detail).toMatch(/169\.254\.169\.254 is a link-local \/ cloud metadata .*UPSTREAM_ALLOWED_HOSTS/);
    const loopback6 = await stack.admin<{ detail: string }>('POST', '/api/custom/providers', { provider: 'evil', route_configs: [route('http://[::1]:80/')] });
    expect(loopback6.body.detail).toContain('::1 is a loopback');
    // Nothing was saved, nothing changed, nothing was connected to.
    const listed = await stack.admin<Array<{ provider: string; route_configs: Array<{ target_url: string }> }>>('GET', '/api/custom/providers');
    expect(listed.body.map((p) => p.provider)).toEqual(['acme']);
    expect(listed.body[0].route_configs[0].target_url).toBe(`${acme.origin}/v2/generate`);
    expect(recorder.connections).toEqual([]);
  });

  it('refuses the same targets as a provider setting url', async () => {
    for (const target of refusedTargets()) {
      const created = await stack.admin<{ detail: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-x', url: target } });
      expect({ target, status: created.status }).toEqual({ target, status: 400 });
      expect(created.body.detail).toContain('setting.url');
    }
    const patched = await stack.admin('PATCH', `/api/provider-settings/${openaiSettingId}`, { setting: { url: 'http://169.254.169.254/v1' } });
    expect(patched.status).toBe(400);
    expect(recorder.connections).toEqual([]);
  });

  it('accepts the allow-listed address (also written as 2130706433) over http', async () => {
    const created = await stack.admin<{ id: string }>('POST', '/api/custom/providers', {
      provider: 'allowed',
      route_configs: [route(`http://2130706433:${recorder.port}/ok`)],
    });
    expect(created.status).toBe(200);
    expect(recorder.connections).toEqual([]); // saving resolves nothing for a literal address and never connects
  });

  it('refuses again when connecting: a refused target that got into the database makes no connection', async () => {
    const port = recorder.port;
    // Control: the same route pointed at the allow-listed 127.0.0.1 reaches the recorder.
    const setTarget = (target: string) =>
      stack.sql(`UPDATE custom_providers SET route_configs = jsonb_set(route_configs, '{0,targetUrl}', to_jsonb($1::text)) WHERE id = $2`, [target, providerId]);
    const callAcme = () =>
      fetch(`${stack.proxyUrl}/api/custom/providers/acme/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ modelName: 'acme-large', input: { turns: [{ text: 'hi' }] } }),
      });
    await setTarget(`http://127.0.0.1:${port}/control`);
    await eventually(async () => ((await (await callAcme()).text()).includes('reached') ? true : undefined), 5_000, 'the control target');
    expect(recorder.connections.length).toBeGreaterThan(0);

    for (const target of [`http://127.0.0.2:${port}/x`, `http://0x7f000002:${port}/x`, `http://[::1]:${port}/x`, `http://localhost:${port}/x`, 'http://169.254.169.254/latest/meta-data/']) {
      await setTarget(target);
      const response = await eventually(async () => {
        const attempt = await callAcme();
        return attempt.status === 502 ? attempt : (await attempt.text(), undefined);
      }, 5_000, `the refusal of ${target}`);
      recorder.connections.length = 0;
      const again = await callAcme();
      expect(again.status).toBe(502);
      const refusal = (await again.json()) as { error: { code: string; message: string } };
      expect(refusal).toMatchObject({ error: { code: 'upstream_unreachable', message: expect.stringContaining('outbound policy refused') } });
      // Which address, and why, is the operator's to read (the log), not the client's.
      expect(refusal.error.message).not.toMatch(/127\.0\.0\.2|0x7f|::1|localhost|169\.254/);
      expect(await response.json()).toMatchObject({ error: { type: 'api_error' } });
      expect({ target, connections: recorder.connections }).toEqual({ target, connections: [] });
    }
    await setTarget(`${acme.origin}/v2/generate`);
  });

  it('guards every provider, not only custom ones: an OpenAI setting url pointing inside makes no connection', async () => {
    const port = recorder.port;
    await stack.sql(`UPDATE provider_settings SET options = jsonb_set(options, '{url}', to_jsonb($1::text)) WHERE id = $2`, [`http://0x7f000002:${port}/v1`, openaiSettingId]);
    const chat = () =>
      fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
    const refused = await eventually(async () => {
      const attempt = await chat();
      return attempt.status === 502 ? attempt : (await attempt.text(), undefined);
    }, 5_000, 'the refused OpenAI url');
    expect(await refused.json()).toMatchObject({ error: { message: expect.stringContaining('outbound policy refused') } });
    // Refused every time until an admin fixes the setting: a 502 the SDKs are told not to retry.
    expect(refused.headers.get('x-should-retry')).toBe('false');
    expect(recorder.connections).toEqual([]);
    await stack.sql(`UPDATE provider_settings SET options = jsonb_set(options, '{url}', to_jsonb($1::text)) WHERE id = $2`, [openai.baseUrl, openaiSettingId]);
    await eventually(async () => ((await chat()).status === 200 ? true : undefined), 5_000, 'the restored OpenAI url');
  });

  it('never follows a redirect, even from an allowed upstream', async () => {
    const response = await fetch(`${stack.proxyUrl}/api/custom/providers/acme/redirect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ modelName: 'acme-large', input: { turns: [{ text: 'hi' }] } }),
      redirect: 'manual',
    });
    // Not followed, and not relayed either: the client would get a redirect with nowhere to go.
    expect(response.status).toBe(502);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.json()).toMatchObject({ error: { code: 'upstream_unreachable', message: expect.stringContaining('redirect') } });
    expect(recorder.connections).toEqual([]);
  });

  it('a request body, query or header can never choose where the gateway connects', async () => {
    const port = recorder.port;
    const evil = `http://127.0.0.2:${port}/x`;
    const before = acme.requests.length;
    const send = (path: string, headers: Record<string, string>, body: unknown) =>
      new Promise<number>((resolve, reject) => {
        const payload = JSON.stringify(body);
        const req = httpRequest(
          `${stack.proxyUrl}${path}`,
          { method: 'POST', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), ...headers } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    const hostile = {
      host: `127.0.0.2:${port}`,
      'x-forwarded-host': `127.0.0.2:${port}`,
      'x-forwarded-proto': 'http',
      forwarded: `host=127.0.0.2:${port}`,
      'x-original-url': evil,
      'x-rewrite-url': evil,
      'x-custom-host': evil,
      'x-portkey-custom-host': evil,
      'x-target-url': evil,
      'x-base-url': evil,
    };
    const body = { modelName: 'acme-large', input: { turns: [{ text: 'hi' }] }, target_url: evil, url: evil, baseURL: evil, base_url: evil, endpoint: evil };
    expect(await send(`/api/custom/providers/acme/generate?target_url=${encodeURIComponent(evil)}&url=${encodeURIComponent(evil)}`, hostile, body)).toBe(200);
    expect(acme.requests.length).toBe(before + 1);
    expect(acme.lastRequest().headers.host).toBe(`127.0.0.1:${acme.port}`);
    expect(acme.lastRequest().headers['x-forwarded-host']).toBeUndefined();

    // The OpenAI-compatible path, with the same headers and an OpenAI body carrying URLs.
    const openaiBefore = openai.requests.length;
    const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], base_url: evil, url: evil, api_base: evil };
    expect(await send('/v1/chat/completions', hostile, chat)).toBe(200);
    expect(openai.requests.length).toBe(openaiBefore + 1);

    // A provider name or path that tries to escape its route configs matches nothing.
    for (const path of ['/api/custom/providers/acme/generate/..%2F..%2Fredirect', '/api/custom/providers/acme/%2e%2e/redirect', `/api/custom/providers/${encodeURIComponent(evil)}/generate`]) {
      const status = await send(path, {}, body);
      expect({ path, status }).toEqual({ path, status: 404 });
    }
    expect(recorder.connections).toEqual([]);
  });
});
