import { LookupAddress } from 'node:dns';
import { createServer as createHttpServer } from 'node:http';
import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';
import { GatewayError, loadEnv } from '@tollgate/common';
import { OutboundRefusedError, ResolveFunction, SsrfGuard, UpstreamAllowList, formatIp, parseIpAddress, specialRangeOf } from './ssrf-guard';
import { UpstreamClient } from './upstream-client';

const strict = SsrfGuard.withAllowList(UpstreamAllowList.EMPTY);
const loopbackOnly = SsrfGuard.withAllowList(UpstreamAllowList.parse(['127.0.0.1']));

function resolver(table: Record<string, string[]>): ResolveFunction {
  return (hostname, callback) => {
    const addresses = table[hostname];
    if (!addresses) {
      const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return setImmediate(() => callback(error, []));
    }
    setImmediate(() => callback(null, addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }))));
  };
}

function refusalOf(action: () => unknown): string | null {
  try {
    action();
    return null;
  } catch (error) {
    if (error instanceof OutboundRefusedError) return error.message;
    throw error;
  }
}

describe('parseIpAddress: every notation of an address', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F000001', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['0x', '0.0.0.0'],
    ['169.254.43518', '169.254.169.254'],
    ['2852039166', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['0251.0376.0251.0376', '169.254.169.254'],
    ['4294967295', '255.255.255.255'],
  ])('%s is IPv4 %s', (text, expected) => {
    const parsed = parseIpAddress(text);
    expect(parsed?.version).toBe(4);
    expect(formatIp(parsed!)).toBe(expected);
  });

  it.each([
    ['::1', '0:0:0:0:0:0:0:1'],
    ['[::1]', '0:0:0:0:0:0:0:1'],
    ['0:0:0:0:0:0:0:1', '0:0:0:0:0:0:0:1'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '0:0:0:0:0:0:0:1'],
    ['::ffff:127.0.0.1', '0:0:0:0:0:ffff:7f00:1'],
    ['[::ffff:7f00:1]', '0:0:0:0:0:ffff:7f00:1'],
    ['::127.0.0.1', '0:0:0:0:0:0:7f00:1'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1'],
    ['64:ff9b::169.254.169.254', '64:ff9b:0:0:0:0:a9fe:a9fe'],
    ['2606:4700:4700::1111', '2606:4700:4700:0:0:0:0:1111'],
  ])('%s is IPv6 %s', (text, expected) => {
    const parsed = parseIpAddress(text);
    expect(parsed?.version).toBe(6);
    expect(formatIp(parsed!)).toBe(expected);
  });

  it.each(['example.com', 'localhost', '256.0.0.1', '1.2.3.4.5', '08.0.0.1', '4294967296', '1.2.3.0x100', '::1::2', '1:2:3:4:5:6:7:8:9', ':::1', '::ffff:127.1', '', 'gggg::1'])(
    '%s is not an IP address',
    (text) => {
      expect(parseIpAddress(text)).toBeNull();
    },
  );
});

describe('specialRangeOf', () => {
  it.each([
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.1',
    '10.255.255.255',
    '100.64.0.1',
    '100.127.255.254',
    '127.0.0.1',
    '127.255.255.254',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.170',
    '192.0.2.1',
    '192.168.1.1',
    '198.18.0.1',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::127.0.0.1',
    '::ffff:0:7f00:1',
    '64:ff9b::7f00:1',
    '64:ff9b::808:808',
    '64:ff9b:1::1',
    '100::1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fec0::1',
    'ff02::1',
    '2001::1',
    '2001:db8::1',
    '2002:7f00:1::1',
    '3fff::1',
    '4000::1',
  ])('%s is refused', (address) => {
    expect(specialRangeOf(parseIpAddress(address)!)).not.toBeNull();
  });

  it.each(['8.8.8.8', '1.1.1.1', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.1', '169.253.255.255', '192.169.0.1', '223.255.255.255', '::ffff:8.8.8.8', '2606:4700:4700::1111', '2a00:1450:4001::200e'])(
    '%s is public',
    (address) => {
      expect(specialRangeOf(parseIpAddress(address)!)).toBeNull();
    },
  );

  it('names the range', () => {
    expect(specialRangeOf(parseIpAddress('169.254.169.254')!)).toContain('cloud metadata');
    expect(specialRangeOf(parseIpAddress('0x7f000001')!)).toContain('loopback');
    expect(specialRangeOf(parseIpAddress('100.64.1.1')!)).toContain('carrier-grade NAT');
  });
});

describe('SsrfGuard.checkUrl (save and connect time, no DNS)', () => {
  it.each([
    'http://127.0.0.1/',
    'https://127.0.0.1/',
    'https://2130706433/',
    'https://0x7f000001/',
    'https://0177.0.0.1/',
    'https://127.1/',
    'https://127.0.0.1./',
    'https://[::1]/',
    'https://[0:0:0:0:0:0:0:1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:7f00:1]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://169.254.169.254/latest/meta-data/',
    'https://[fd00:ec2::254]/',
    'https://10.0.0.1/',
    'https://192.168.0.1/',
    'https://172.16.5.4/',
    'https://100.64.0.1/',
    'https://0.0.0.0/',
    'https://0/',
    'https://255.255.255.255/',
    'https://224.0.0.1/',
    'https://[fe80::1]/',
    'https://[ff02::1]/',
    'https://localhost/',
    'https://LOCALHOST./',
    'https://api.localhost/',
    'http://api.openai.com/v1',
    'ftp://api.openai.com/',
    'file:///etc/passwd',
    'https://user:secret@api.openai.com/v1',
    'not a url',
    '/relative/path',
  ])('refuses %s without an allow-list', (url) => {
    expect(refusalOf(() => strict.checkUrl(url))).not.toBeNull();
  });

  it.each(['https://api.openai.com/v1', 'https://8.8.8.8/', 'https://[2606:4700:4700::1111]/', 'https://example.com:8443/x?y=1'])('allows %s', (url) => {
    expect(refusalOf(() => strict.checkUrl(url))).toBeNull();
  });

  it('explains the refusal', () => {
    expect(refusalOf(() => strict.checkUrl('https://169.254.169.254/'))).toMatch(/169\.254\.169\.254 is a link-local \/ cloud metadata .*UPSTREAM_ALLOWED_HOSTS/);
    expect(refusalOf(() => strict.checkUrl('http://api.example.com/'))).toMatch(/plain http .* use https/);
  });

  it('with 127.0.0.1 allow-listed: that address (in any notation) may be http, other loopback addresses may not', () => {
    for (const url of ['http://127.0.0.1:8080/v1', 'http://2130706433:8080/', 'http://0x7f000001/', 'http://127.1/', 'http://[::ffff:127.0.0.1]/']) {
      expect(refusalOf(() => loopbackOnly.checkUrl(url))).toBeNull();
    }
    for (const url of ['http://127.0.0.2/', 'http://0x7f000002/', 'http://2130706434/', 'http://127.2/', 'http://[::1]/', 'http://localhost/', 'http://169.254.169.254/', 'http://api.example.com/']) {
      expect(refusalOf(() => loopbackOnly.checkUrl(url))).not.toBeNull();
    }
  });

  it('allow-lists names, subdomain wildcards and CIDRs', () => {
    const guard = SsrfGuard.withAllowList(UpstreamAllowList.parse(['vllm.internal', '*.svc.cluster.local', '10.0.0.0/8', 'fd00::/8']));
    for (const url of ['http://vllm.internal:8000/v1', 'http://VLLM.internal./v1', 'http://llm.ns.svc.cluster.local/', 'http://10.1.2.3/', 'http://[fd00::5]/']) {
      expect(refusalOf(() => guard.checkUrl(url))).toBeNull();
    }
    for (const url of ['http://other.internal/', 'http://svc.cluster.local/', 'http://11.0.0.1/', 'http://[fe80::1]/', 'http://192.168.1.1/']) {
      expect(refusalOf(() => guard.checkUrl(url))).not.toBeNull();
    }
  });

  it('applies a changed allow-list at once, although it remembers the targets it allowed', () => {
    let current = UpstreamAllowList.parse(['127.0.0.1']);
    const guard = new SsrfGuard({ allowList: () => current });
    for (let i = 0; i < 3; i++) expect(refusalOf(() => guard.checkUrl('http://127.0.0.1:8080/v1/chat/completions'))).toBeNull();
    current = UpstreamAllowList.EMPTY;
    expect(refusalOf(() => guard.checkUrl('http://127.0.0.1:8080/v1/chat/completions'))).toMatch(/loopback/);
    expect(guard.checkTarget('http:', '127.0.0.1')).toBeInstanceOf(OutboundRefusedError);
    current = UpstreamAllowList.parse(['127.0.0.1']);
    expect(guard.checkTarget('http:', '127.0.0.1')).toBeNull();
  });
});

describe('UpstreamAllowList.parse', () => {
  it.each(['not a host', 'a/b', '10.0.0.0/33', '::/129', '10.0.0.0/x', 'http://x', '::ffff:1.2.3.4/64'])('rejects %s', (entry) => {
    expect(() => UpstreamAllowList.parse([entry])).toThrow();
  });

  it('ignores blanks', () => {
    expect(UpstreamAllowList.parse(['', '  ']).isEmpty).toBe(true);
  });
});

describe('SsrfGuard with DNS', () => {
  const dns = resolver({
    'api.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'internal.example.com': ['10.0.0.7'],
    'mixed.example.com': ['93.184.216.34', '127.0.0.1'],
    'metadata.example.com': ['169.254.169.254'],
    'mapped.example.com': ['::ffff:127.0.0.1'],
    'rebind.example.com': ['127.0.0.2'],
    'ok.local-allowed': ['10.9.9.9'],
  });
  const guard = SsrfGuard.withAllowList(UpstreamAllowList.parse(['ok.local-allowed']), dns);

  it('save time: resolves and refuses names that point inside', async () => {
    await expect(guard.assertSafeUrl('https://api.example.com/v1')).resolves.toBeInstanceOf(URL);
    await expect(guard.assertSafeUrl('https://internal.example.com/')).rejects.toThrow(/internal\.example\.com resolves to a private/);
    await expect(guard.assertSafeUrl('https://mixed.example.com/')).rejects.toThrow(/loopback/);
    await expect(guard.assertSafeUrl('https://metadata.example.com/')).rejects.toThrow(/cloud metadata/);
    await expect(guard.assertSafeUrl('https://mapped.example.com/')).rejects.toThrow(/loopback/);
    await expect(guard.assertSafeUrl('https://nowhere.example.com/')).rejects.toThrow(/could not be resolved \(ENOTFOUND\)/);
    await expect(guard.assertSafeUrl('http://ok.local-allowed/')).resolves.toBeInstanceOf(URL);
  });

  it('save time: a resolver that never answers is a refusal, not a hang', async () => {
    const slow = new SsrfGuard({ allowList: () => UpstreamAllowList.EMPTY, resolve: () => undefined, resolveTimeoutMs: 20 });
    await expect(slow.assertSafeUrl('https://slow.example.com/')).rejects.toThrow(/did not resolve within 20 ms/);
  });

  it('connect time: the lookup hands the socket only checked addresses', async () => {
    const lookup = (host: string, options: { all?: boolean; family?: number }) =>
      new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) =>
        guard.lookup(host, options, (error, address, family) => resolve({ error, address, family })),
      );
    expect(await lookup('api.example.com', { all: true })).toMatchObject({ error: null, address: [{ address: '93.184.216.34', family: 4 }, { family: 6 }] });
    expect(await lookup('api.example.com', { family: 6 })).toMatchObject({ error: null, address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 });
    expect(await lookup('api.example.com', {})).toMatchObject({ error: null, address: '93.184.216.34', family: 4 });
    const refused = await lookup('mixed.example.com', { all: true });
    expect(refused.error).toBeInstanceOf(OutboundRefusedError);
    expect((refused.error as OutboundRefusedError).address).toBe('127.0.0.1');
    expect((await lookup('nowhere.example.com', {})).error).toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('SsrfGuard connector and UpstreamClient (no connection is ever made to a refused address)', () => {
  const servers: Server[] = [];
  let port: number;
  const connections: string[] = [];
  const sockets = new Set<Socket>();

  const listen = (host: string, wanted: number) =>
    new Promise<Server | null>((resolve) => {
      const server = createServer((socket) => {
        connections.push(socket.localAddress ?? '?');
        sockets.add(socket);
        socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
        socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}');
      });
      server.once('error', () => resolve(null));
      server.listen(wanted, host, () => resolve(server));
    });

  beforeAll(async () => {
    // The same port on 127.0.0.1, 127.0.0.2 and ::1 (never 0.0.0.0): a refused target, had it been
    // connected to, would have been recorded.
    const first = (await listen('127.0.0.1', 0))!;
    servers.push(first);
    port = (first.address() as AddressInfo).port;
    for (const host of ['127.0.0.2', '::1']) {
      const server = await listen(host, port);
      if (server) servers.push(server);
    }
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });

  beforeEach(() => {
    connections.length = 0;
  });

  it('the recording listener is reachable on the refused addresses (so "no connection" means something)', async () => {
    const hosts = servers.map((server) => (server.address() as AddressInfo).address);
    for (const host of hosts) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, host);
        socket.on('error', reject).on('data', () => undefined).on('end', () => {
          socket.destroy();
          resolve();
        });
      });
    }
    expect(connections).toHaveLength(hosts.length);
    expect(hosts).toContain('127.0.0.2');
  });

  const timeouts = { connectMs: 2_000, firstByteMs: 2_000, totalMs: 5_000 };

  it('connects where the allow-list permits', async () => {
    const client = new UpstreamClient(timeouts, loopbackOnly);
    const response = await client.send({ url: `http://127.0.0.1:${port}/`, method: 'GET', headers: {} });
    expect(response.statusCode).toBe(200);
    await response.body.text();
    await client.close();
    expect(connections).toHaveLength(1);
  });

  it('refuses a URL it called before once the allow-list no longer permits it, even on a kept-alive connection', async () => {
    let requests = 0;
    const keepAlive = createHttpServer((_req, res) => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => keepAlive.listen(0, '127.0.0.1', resolve));
    let current = UpstreamAllowList.parse(['127.0.0.1']);
    const client = new UpstreamClient(timeouts, new SsrfGuard({ allowList: () => current }));
    const url = `http://127.0.0.1:${(keepAlive.address() as AddressInfo).port}/v1/chat/completions`;
    const first = await client.send({ url, method: 'GET', headers: {} });
    await first.body.text();
    // Lets undici put the socket back in its pool.
    await new Promise((resolve) => setTimeout(resolve, 20));
    current = UpstreamAllowList.EMPTY;
    // The pooled socket is still open, so the connector would not run again: the client checks.
    await expect(client.send({ url, method: 'GET', headers: {} })).rejects.toMatchObject({ status: 502, message: expect.stringContaining('outbound policy refused') });
    await client.close();
    keepAlive.closeAllConnections();
    await new Promise<void>((resolve) => keepAlive.close(() => resolve()));
    expect(requests).toBe(1);
  });

  it.each(['http://127.0.0.2:PORT/', 'http://0x7f000002:PORT/', 'http://2130706434:PORT/', 'http://127.2:PORT/', 'http://[::1]:PORT/', 'http://localhost:PORT/', 'https://loopback.example.test:PORT/'])(
    'refuses %s with a 502 and no connection',
    async (template) => {
      const guard = SsrfGuard.withAllowList(UpstreamAllowList.parse(['127.0.0.1']), resolver({ 'loopback.example.test': ['127.0.0.2'] }));
      const client = new UpstreamClient(timeouts, guard);
      const sent = client.send({ url: template.replace('PORT', String(port)), method: 'GET', headers: {} });
      await expect(sent).rejects.toBeInstanceOf(GatewayError);
      await expect(sent).rejects.toMatchObject({ status: 502, message: expect.stringContaining("outbound policy refused") });
      // The client's message names no address; the operator's log detail names the host refused.
      const host = new URL(template.replace('PORT', '1')).hostname.replace(/^\[(.*)\]$/, '$1');
      const refusal = (await sent.catch((error: unknown) => error)) as GatewayError;
      expect(refusal.message).not.toContain(host);
      expect(refusal.logDetail).toContain(host);
      await client.close();
      expect(connections).toHaveLength(0);
    },
  );

  it('DNS rebinding: a name that passed at save time is checked again, inside the connector', async () => {
    let answer = '93.184.216.34';
    const rebinding: ResolveFunction = (_host, callback) => setImmediate(() => callback(null, [{ address: answer, family: 4 }]));
    const guard = SsrfGuard.withAllowList(UpstreamAllowList.EMPTY, rebinding);
    await expect(guard.assertSafeUrl(`https://rebind.example.com:${port}/`)).resolves.toBeInstanceOf(URL);
    answer = '127.0.0.1';
    const client = new UpstreamClient(timeouts, guard);
    await expect(client.send({ url: `https://rebind.example.com:${port}/`, method: 'GET', headers: {} })).rejects.toMatchObject({
      status: 502,
      message: expect.stringContaining('outbound policy refused'),
      logDetail: expect.stringContaining('rebind.example.com resolves to a loopback'),
    });
    await client.close();
    expect(connections).toHaveLength(0);
  });

  it('the connector itself refuses, whatever the caller checked before', async () => {
    const connect = loopbackOnly.connector({ timeoutMs: 1_000 });
    const error = await new Promise<Error | null>((resolve) =>
      connect({ hostname: '127.0.0.2', protocol: 'http:', port: String(port) }, (err, socket) => {
        socket?.destroy();
        resolve(err);
      }),
    );
    expect(error).toBeInstanceOf(OutboundRefusedError);
    expect(connections).toHaveLength(0);
  });
});

describe('UPSTREAM_ALLOWED_HOSTS (env) → allow-list', () => {
  const base = { ADMIN_API_KEY: 'a-long-enough-admin-key', ENCRYPTION_KEY: 'ab'.repeat(32) };

  it('is empty by default: only public https', () => {
    expect(loadEnv(base).upstreamAllowedHosts).toEqual([]);
  });

  it('accepts names, wildcards, canonical IPs and CIDRs, which the guard parses', () => {
    const env = loadEnv({ ...base, UPSTREAM_ALLOWED_HOSTS: ' 127.0.0.1, VLLM.internal ,*.svc.cluster.local,10.0.0.0/8,::1,[fd00::1],fd00::/8 ' });
    expect(env.upstreamAllowedHosts).toEqual(['127.0.0.1', 'vllm.internal', '*.svc.cluster.local', '10.0.0.0/8', '::1', '[fd00::1]', 'fd00::/8']);
    const guard = SsrfGuard.withAllowList(UpstreamAllowList.parse(env.upstreamAllowedHosts));
    expect(refusalOf(() => guard.checkUrl('http://[fd00::1]/'))).toBeNull();
    expect(refusalOf(() => guard.checkUrl('http://vllm.internal/'))).toBeNull();
  });

  it('refuses ambiguous or malformed entries, naming them', () => {
    expect(() => loadEnv({ ...base, UPSTREAM_ALLOWED_HOSTS: '127.1,0x7f000001,10.0.0.0/40,http://x,a b' })).toThrow(
      /UPSTREAM_ALLOWED_HOSTS entries must be .*\(invalid: 127\.1, 0x7f000001, 10\.0\.0\.0\/40, http:\/\/x, a b\)/,
    );
  });
});
