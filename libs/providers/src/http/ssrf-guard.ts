import { LookupAddress, lookup as systemLookup } from 'node:dns';
import { LookupFunction, isIP } from 'node:net';
import { buildConnector } from 'undici';

/**
 * The outbound connection policy (SSRF guard). Every upstream connection the gateway makes goes
 * through it, so a configured URL (a custom provider's target_url, a provider setting's url) can
 * only reach the public internet over https, unless the operator's allow-list
 * (UPSTREAM_ALLOWED_HOSTS) names the host:
 *
 * - only http and https; no credentials in the URL; plain http only for allow-listed hosts;
 * - loopback, private, CGNAT, link-local (cloud metadata), multicast, broadcast, reserved,
 *   documentation and IPv6 transition ranges are refused, whatever the notation the address is
 *   written in (WHATWG and inet_aton forms: `2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`,
 *   bracketed and IPv4-mapped IPv6);
 * - names are resolved inside the connector and every resolved address is checked before the
 *   socket connects to exactly those addresses, so DNS rebinding cannot slip in between the
 *   check and the connection.
 *
 * The same checks run when a URL is saved (admin 400) and when connecting.
 */

/** A refused outbound target. `message` is safe to show; `address` (when resolved) is for logs. */
export class OutboundRefusedError extends Error {
  readonly code = 'ERR_OUTBOUND_REFUSED';

  constructor(
    message: string,
    readonly host: string,
    readonly address: string | null = null,
  ) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

export interface IpAddress {
  version: 4 | 6;
  /** 32-bit (v4) or 128-bit (v6) value. */
  value: bigint;
}

interface Cidr {
  version: 4 | 6;
  base: bigint;
  prefix: number;
}

/** The operator's allow-list: hosts and CIDRs that may be reached over http and may be internal. */
export class UpstreamAllowList {
  static readonly EMPTY = new UpstreamAllowList(new Set(), [], []);

  private constructor(
    private readonly names: ReadonlySet<string>,
    /** `*.example.com` entries, stored as `.example.com`. */
    private readonly suffixes: readonly string[],
    private readonly networks: readonly Cidr[],
  ) {}

  /**
   * Entries: a host name (`vllm.internal`), a subdomain wildcard (`*.svc.cluster.local`), an IP
   * (`127.0.0.1`, `::1`) or a CIDR (`10.0.0.0/8`, `fd00::/8`). Throws on anything else.
   */
  static parse(entries: readonly string[]): UpstreamAllowList {
    const names = new Set<string>();
    const suffixes: string[] = [];
    const networks: Cidr[] = [];
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase();
      if (entry === '') continue;
      const slash = entry.indexOf('/');
      const address = parseIpAddress(slash === -1 ? entry : entry.slice(0, slash));
      if (address) {
        const width = address.version === 4 ? 32 : 128;
        const prefix = slash === -1 ? width : Number(entry.slice(slash + 1));
        if (!Number.isInteger(prefix) || prefix < 0 || prefix > width || (slash !== -1 && !/^\d{1,3}$/.test(entry.slice(slash + 1)))) {
          throw new Error(`invalid CIDR in the upstream allow-list: "${raw}"`);
        }
        const normal = unmapIpv4(address);
        if (normal.version !== address.version && prefix < 96) throw new Error(`invalid CIDR in the upstream allow-list: "${raw}" (IPv4-mapped prefixes start at /96)`);
        networks.push({ version: normal.version, base: normal.value, prefix: normal.version === address.version ? prefix : prefix - 96 });
      } else if (slash !== -1 || !isHostName(entry.replace(/^\*\./, ''))) {
        throw new Error(`invalid entry in the upstream allow-list: "${raw}" (a host name, *.domain, an IP or a CIDR)`);
      } else if (entry.startsWith('*.')) {
        suffixes.push(normalizeHost(entry.slice(1)));
      } else {
        names.add(normalizeHost(entry));
      }
    }
    return new UpstreamAllowList(names, suffixes, networks);
  }

  get isEmpty(): boolean {
    return this.names.size === 0 && this.suffixes.length === 0 && this.networks.length === 0;
  }

  allowsName(host: string): boolean {
    const name = normalizeHost(host);
    return this.names.has(name) || this.suffixes.some((suffix) => name.endsWith(suffix) && name.length > suffix.length);
  }

  allowsAddress(address: IpAddress): boolean {
    const ip = unmapIpv4(address);
    return this.networks.some((network) => network.version === ip.version && inNetwork(ip.value, network.base, network.prefix, ip.version));
  }
}

export type ResolveFunction = (hostname: string, callback: (error: Error | null, addresses: LookupAddress[]) => void) => void;

export interface SsrfGuardOptions {
  /** Read on every check, so a process-wide list configured after construction applies. */
  allowList: () => UpstreamAllowList;
  /** Name resolution; the system resolver (getaddrinfo, all addresses) by default. */
  resolve?: ResolveFunction;
  /** Longest a save-time resolution may take. */
  resolveTimeoutMs?: number;
}

const systemResolve: ResolveFunction = (hostname, callback) =>
  systemLookup(hostname, { all: true, verbatim: true }, (error, addresses) => callback(error, error ? [] : addresses));

const ALLOW_LIST_HINT = 'add the host to UPSTREAM_ALLOWED_HOSTS if it is meant to be reached';

export class SsrfGuard {
  private readonly resolveName: ResolveFunction;
  /** Targets (`scheme//host`) checkTarget allowed under `allowedFor`. */
  private readonly allowed = new Set<string>();
  private allowedFor: UpstreamAllowList | null = null;

  constructor(private readonly options: SsrfGuardOptions) {
    this.resolveName = options.resolve ?? systemResolve;
  }

  static withAllowList(allowList: UpstreamAllowList, resolve?: ResolveFunction): SsrfGuard {
    return new SsrfGuard({ allowList: () => allowList, resolve });
  }

  /**
   * The checks that need no DNS: scheme, credentials, literal addresses and local names.
   * Returns the parsed URL; throws OutboundRefusedError (a malformed URL included).
   */
  checkUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundRefusedError('the upstream URL is not a valid absolute URL', '');
    }
    if (url.username || url.password) {
      throw new OutboundRefusedError('upstream URLs must not carry credentials', normalizeHost(url.hostname));
    }
    const refusal = this.checkTarget(url.protocol, url.hostname);
    if (refusal) throw refusal;
    return url;
  }

  /**
   * Save-time validation: checkUrl, then resolves the name now and checks every address (the
   * connector checks again on every connection; DNS answers change).
   */
  async assertSafeUrl(raw: string): Promise<URL> {
    const url = this.checkUrl(raw);
    const host = normalizeHost(url.hostname);
    if (parseIpAddress(host) || this.options.allowList().allowsName(host)) return url;
    const addresses = await this.resolveWithTimeout(host);
    const refusal = this.checkResolved(host, addresses.map((entry) => entry.address));
    if (refusal) throw refusal;
    return url;
  }

  /**
   * Scheme and literal-host rules for one connection target; null when allowed. The proxy checks
   * the same few upstreams on every request, so allowed targets are remembered (per allow-list:
   * a new list starts afresh); refusals are rare and always decided anew.
   */
  checkTarget(protocol: string, hostname: string): OutboundRefusedError | null {
    const allowList = this.options.allowList();
    if (allowList !== this.allowedFor) {
      this.allowed.clear();
      this.allowedFor = allowList;
    }
    const target = `${protocol}//${hostname}`;
    if (this.allowed.has(target)) return null;
    const refusal = decideTarget(protocol, hostname, allowList);
    if (refusal === null) {
      if (this.allowed.size >= MAX_REMEMBERED_TARGETS) this.allowed.clear();
      this.allowed.add(target);
    }
    return refusal;
  }

  /** Every address a name resolved to must be public (or allow-listed); null when allowed. */
  checkResolved(hostname: string, addresses: readonly string[]): OutboundRefusedError | null {
    const host = normalizeHost(hostname);
    const allowList = this.options.allowList();
    if (allowList.allowsName(host)) return null;
    if (addresses.length === 0) return new OutboundRefusedError(`${host} resolved to no address`, host);
    for (const raw of addresses) {
      const address = parseIpAddress(raw);
      if (!address) return new OutboundRefusedError(`${host} resolved to an unrecognised address`, host, raw);
      if (allowList.allowsAddress(address)) continue;
      const range = specialRangeOf(address);
      if (range) return new OutboundRefusedError(`${host} resolves to a ${range} address; ${ALLOW_LIST_HINT}`, host, raw);
    }
    return null;
  }

  /**
   * A `lookup` for net/tls.connect: resolves, refuses the name if any address is internal, and
   * hands the checked addresses to the socket, which connects to exactly those.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const wantsAll = options.all === true;
    const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    this.resolveName(hostname, (error, resolved) => {
      if (error) return callback(error, wantsAll ? [] : '');
      const addresses = family === 0 ? resolved : resolved.filter((entry) => entry.family === family);
      const refusal = this.checkResolved(hostname, addresses.map((entry) => entry.address));
      if (refusal) return callback(refusal, wantsAll ? [] : '');
      if (wantsAll) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };

  /**
   * An undici connector that applies the policy to every connection: the target first (scheme,
   * literal addresses, which net.connect would not look up), then every resolved address.
   */
  connector(options: { timeoutMs: number }): buildConnector.connector {
    const connect = buildConnector({ timeout: options.timeoutMs, lookup: this.lookup });
    return (target, callback) => {
      const refusal = this.checkTarget(target.protocol, target.hostname);
      if (refusal) {
        callback(refusal, null);
        return;
      }
      connect(target, callback);
    };
  }

  private resolveWithTimeout(host: string): Promise<LookupAddress[]> {
    const timeoutMs = this.options.resolveTimeoutMs ?? 5_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new OutboundRefusedError(`${host} did not resolve within ${timeoutMs} ms`, host)), timeoutMs);
      this.resolveName(host, (error, addresses) => {
        clearTimeout(timer);
        if (error) reject(new OutboundRefusedError(`${host} could not be resolved (${(error as NodeJS.ErrnoException).code ?? error.message})`, host));
        else resolve(addresses);
      });
    });
  }
}

/** Bounds the allowed-target memory: URLs are admin-configured, but hosts are not a closed set. */
const MAX_REMEMBERED_TARGETS = 1_024;

function decideTarget(protocol: string, hostname: string, allowList: UpstreamAllowList): OutboundRefusedError | null {
  const host = normalizeHost(hostname);
  if (protocol !== 'https:' && protocol !== 'http:') {
    return new OutboundRefusedError(`only http and https upstream URLs are supported (got ${protocol})`, host);
  }
  const address = parseIpAddress(host);
  if (address ? allowList.allowsAddress(address) : allowList.allowsName(host)) return null;
  if (address) {
    const range = specialRangeOf(address);
    if (range) return new OutboundRefusedError(`${host} is a ${range} address; ${ALLOW_LIST_HINT}`, host, formatIp(address));
  } else if (isLocalName(host)) {
    return new OutboundRefusedError(`${host} is a local host name; ${ALLOW_LIST_HINT}`, host);
  }
  if (protocol === 'http:') {
    return new OutboundRefusedError(`plain http to ${host} is not allowed: use https, or ${ALLOW_LIST_HINT}`, host);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The process-wide policy. Clients built without an explicit guard (and the provider settings'
// save-time check, which has no DI) use it; the gateway configures it from UPSTREAM_ALLOWED_HOSTS
// at start. Until then it is the strictest policy (no allow-list), so nothing fails open.

let processAllowList = UpstreamAllowList.EMPTY;

export function configureOutboundAllowList(allowList: UpstreamAllowList): void {
  processAllowList = allowList;
}

export const processOutboundGuard = new SsrfGuard({ allowList: () => processAllowList });

// ---------------------------------------------------------------------------------------------
// Addresses

/** Lower-cased, brackets and a trailing dot removed. */
export function normalizeHost(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (name.endsWith('.') && name.length > 1) name = name.slice(0, -1);
  return name;
}

/**
 * Parses an IP literal in any notation a URL parser or a resolver accepts: IPv4 as 1–4 parts in
 * decimal, hex (0x) or octal (leading 0), the last part filling the remaining bytes (so
 * `2130706433`, `0x7f000001`, `0177.0.0.1` and `127.1` are all 127.0.0.1); IPv6 with or without
 * brackets, a zone id, or an embedded dotted IPv4 tail. Null for anything else (a host name).
 */
export function parseIpAddress(text: string): IpAddress | null {
  const host = normalizeHost(text);
  if (host === '') return null;
  if (host.includes(':')) {
    const value = parseIpv6(host.replace(/%.*$/, ''));
    return value === null ? null : { version: 6, value };
  }
  const value = parseIpv4(host);
  return value === null ? null : { version: 4, value };
}

function parseIpv4(host: string): bigint | null {
  const parts = host.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers: bigint[] = [];
  for (const part of parts) {
    const number = parseIpv4Part(part);
    if (number === null) return null;
    numbers.push(number);
  }
  const last = numbers.pop()!;
  if (numbers.some((number) => number > 255n)) return null;
  if (last >= 256n ** BigInt(4 - numbers.length)) return null;
  let value = last;
  numbers.forEach((number, index) => {
    value += number << BigInt(8 * (3 - index));
  });
  return value;
}

function parseIpv4Part(part: string): bigint | null {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0n : BigInt(part);
  if (/^0[0-7]+$/.test(part)) return BigInt(`0o${part.slice(1)}`);
  if (/^(0|[1-9][0-9]*)$/.test(part)) return BigInt(part);
  return null;
}

function parseIpv6(host: string): bigint | null {
  let text = host;
  // An embedded IPv4 tail (::ffff:127.0.0.1) is strict dotted-quad, as in inet_pton.
  const tail = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (tail) {
    if (isIP(tail[1]) !== 4) return null;
    const [a, b, c, d] = tail[1].split('.').map(Number);
    text = `${text.slice(0, tail.index + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0]);
  const rest = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (head === null || rest === null) return null;
  const explicit = head.length + rest.length;
  if (halves.length === 2 ? explicit > 7 : explicit !== 8) return null;
  const groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...rest];
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

function parseGroups(segment: string): number[] | null {
  if (segment === '') return [];
  const groups: number[] = [];
  for (const group of segment.split(':')) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    groups.push(parseInt(group, 16));
  }
  return groups;
}

/** ::ffff:a.b.c.d is the IPv4 host a.b.c.d: checked (and allow-listed) as such. */
export function unmapIpv4(address: IpAddress): IpAddress {
  if (address.version === 6 && address.value >> 32n === 0xffffn) return { version: 4, value: address.value & 0xffffffffn };
  return address;
}

export function formatIp(address: IpAddress): string {
  if (address.version === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 0xffn)).join('.');
  }
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((address.value >> shift) & 0xffffn).toString(16));
  return groups.join(':');
}

function cidr(text: string, label: string): { version: 4 | 6; base: bigint; prefix: number; label: string } {
  const [address, prefix] = text.split('/');
  const parsed = parseIpAddress(address)!;
  return { version: parsed.version, base: parsed.value, prefix: Number(prefix), label };
}

/** IANA special-purpose IPv4 ranges (RFC 6890 and successors): never a provider's public API. */
const IPV4_SPECIAL = [
  cidr('0.0.0.0/8', '"this network" (0.0.0.0/8)'),
  cidr('10.0.0.0/8', 'private (10.0.0.0/8)'),
  cidr('100.64.0.0/10', 'carrier-grade NAT (100.64.0.0/10)'),
  cidr('127.0.0.0/8', 'loopback (127.0.0.0/8)'),
  cidr('169.254.0.0/16', 'link-local / cloud metadata (169.254.0.0/16)'),
  cidr('172.16.0.0/12', 'private (172.16.0.0/12)'),
  cidr('192.0.0.0/24', 'IETF protocol assignment (192.0.0.0/24)'),
  cidr('192.0.2.0/24', 'documentation (192.0.2.0/24)'),
  cidr('192.88.99.0/24', '6to4 relay (192.88.99.0/24)'),
  cidr('192.168.0.0/16', 'private (192.168.0.0/16)'),
  cidr('198.18.0.0/15', 'benchmarking (198.18.0.0/15)'),
  cidr('198.51.100.0/24', 'documentation (198.51.100.0/24)'),
  cidr('203.0.113.0/24', 'documentation (203.0.113.0/24)'),
  cidr('224.0.0.0/4', 'multicast (224.0.0.0/4)'),
  cidr('255.255.255.255/32', 'broadcast (255.255.255.255)'),
  cidr('240.0.0.0/4', 'reserved (240.0.0.0/4)'),
];

/** Named IPv6 ranges; anything outside global unicast 2000::/3 is refused too. */
const IPV6_SPECIAL = [
  cidr('::/128', 'unspecified (::)'),
  cidr('::1/128', 'loopback (::1)'),
  cidr('::ffff:0:0:0/96', 'IPv4-translated (::ffff:0:0:0/96)'),
  cidr('::/96', 'IPv4-compatible (::/96)'),
  cidr('64:ff9b::/96', 'NAT64 (64:ff9b::/96)'),
  cidr('64:ff9b:1::/48', 'local NAT64 (64:ff9b:1::/48)'),
  cidr('100::/64', 'discard-only (100::/64)'),
  cidr('fc00::/7', 'unique local / private (fc00::/7)'),
  cidr('fe80::/10', 'link-local (fe80::/10)'),
  cidr('fec0::/10', 'site-local (fec0::/10)'),
  cidr('ff00::/8', 'multicast (ff00::/8)'),
  cidr('2001::/32', 'Teredo (2001::/32)'),
  cidr('2001:db8::/32', 'documentation (2001:db8::/32)'),
  cidr('2001::/23', 'IETF protocol assignment (2001::/23)'),
  cidr('2002::/16', '6to4 (2002::/16)'),
  cidr('3fff::/20', 'documentation (3fff::/20)'),
];

const GLOBAL_UNICAST_V6 = cidr('2000::/3', 'global unicast');

/** The special range an address falls in (a description), or null for a public address. */
export function specialRangeOf(address: IpAddress): string | null {
  const ip = unmapIpv4(address);
  const table = ip.version === 4 ? IPV4_SPECIAL : IPV6_SPECIAL;
  const match = table.find((range) => inNetwork(ip.value, range.base, range.prefix, ip.version));
  if (match) return match.label;
  if (ip.version === 6 && !inNetwork(ip.value, GLOBAL_UNICAST_V6.base, GLOBAL_UNICAST_V6.prefix, 6)) return 'reserved IPv6 (outside 2000::/3)';
  return null;
}

function inNetwork(value: bigint, base: bigint, prefix: number, version: 4 | 6): boolean {
  const width = version === 4 ? 32 : 128;
  const shift = BigInt(width - prefix);
  return value >> shift === base >> shift;
}

/** `localhost`, `*.localhost` (RFC 6761) and similar names that always mean this machine. */
function isLocalName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === 'localhost.localdomain' || host === 'ip6-localhost' || host === 'ip6-loopback';
}

function isHostName(name: string): boolean {
  const host = name.endsWith('.') ? name.slice(0, -1) : name;
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(label));
}
