import { isIP } from 'node:net';

/**
 * Runtime configuration, read from the environment and validated once at start.
 *
 * Every problem is reported at once, one line per variable, so an operator fixes
 * a deployment in one round instead of one crash per variable.
 */
export type RunMode = 'production' | 'standalone';

export interface Env {
  mode: RunMode;
  databaseUrl: string | null;
  redisUrl: string | null;
  adminApiKey: string;
  /** 32 raw bytes for AES-256-GCM. */
  encryptionKey: Buffer;
  host: string;
  proxyPort: number;
  adminPort: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  maxBodyBytes: number;
  /** Request bodies the proxy holds at once, in bytes (each at most maxBodyBytes). */
  maxBodyBytesInFlight: number;
  /** Largest upstream answer read whole (JSON answers translated or read for usage). */
  upstreamMaxResponseBytes: number;
  migrateOnStart: boolean;
  upstreamConnectTimeoutMs: number;
  upstreamFirstByteTimeoutMs: number;
  upstreamTotalTimeoutMs: number;
  configResyncIntervalMs: number;
  /** How often every replica's key snapshot reads what changed (CONFIG_POLL_INTERVAL_MS). */
  configPollIntervalMs: number;
  /** How often it reads everything again (CONFIG_FULL_RELOAD_INTERVAL_MS). */
  configFullReloadIntervalMs: number;
  queuePrefix: string;
  /** Queues a worker process consumes; empty means all. */
  workerQueues: string[];
  eventBatchSize: number;
  eventFlushIntervalMs: number;
  eventRetryMaxDelayMs: number;
  /** How long a stopping gateway lets requests in flight finish before it cuts them. */
  shutdownDrainMs: number;
  /** How long a stopping gateway keeps serving, unready, before it closes its listeners. */
  shutdownDelayMs: number;
  workerBatchWaitMs: number;
  /** The worker's Prometheus /metrics port (WORKER_METRICS_PORT); null: not served. */
  workerMetricsPort: number | null;
  openaiBaseUrl: string;
  anthropicBaseUrl: string;
  geminiBaseUrl: string;
  deepinfraBaseUrl: string;
  anthropicVersion: string;
  /** Anthropic requires max_tokens; sent when an OpenAI client leaves it out. */
  anthropicDefaultMaxTokens: number;
  azureApiVersion: string;
  /** Output tokens a budget reservation assumes when a request sets no max_tokens. */
  budgetDefaultMaxTokens: number;
  /** Admin API requests allowed per client IP per minute (brute-force protection). */
  adminRateLimitPerMinute: number;
  /**
   * Outbound allow-list (UPSTREAM_ALLOWED_HOSTS): host names, `*.domain`, IPs and CIDRs that
   * upstream URLs may reach over plain http and even when internal (loopback, private, ...).
   * Empty: only public https targets.
   */
  upstreamAllowedHosts: string[];
  /**
   * Browser origins the proxy answers CORS for (PROXY_CORS_ORIGINS): '*' for any, a list of
   * origins, or an empty list for none. Never the admin API.
   */
  proxyCorsOrigins: '*' | string[];
}

export class EnvValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Source = Record<string, string | undefined>;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Which process reads the configuration: each is refused only what it needs. The worker has no
 * admin API and always runs against Postgres and Redis; a migration needs only DATABASE_URL.
 */
export type EnvRole = 'gateway' | 'worker' | 'migrate';

/** A variable as configuration reads it: trimmed, and unset when blank. */
function readVariable(source: Source, name: string): string | undefined {
  const value = source[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Neither DATABASE_URL nor REDIS_URL is set (blank counts as unset): the gateway runs standalone. */
export function isStandalone(source: Source = process.env): boolean {
  return readVariable(source, 'DATABASE_URL') === undefined && readVariable(source, 'REDIS_URL') === undefined;
}

/**
 * `checks` are the process's own checks of the values read (the gateway's outbound policy on the
 * providers' base URLs, the worker's queue names), whose problems are reported in the same round.
 */
export function loadEnv(source: Source = process.env, role: EnvRole = 'gateway', checks: ReadonlyArray<(env: Env) => string[]> = []): Env {
  const problems: string[] = [];
  const read = (name: string): string | undefined => readVariable(source, name);
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    // Digits only: Number() also reads 0x1f40, 1e3 and 0b11, which no one means as a port.
    const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };
  const url = (name: string, protocols: string[]): string | null => {
    const raw = read(name);
    if (raw === undefined) return null;
    // A "#" starts a fragment: in a password it silently cut the URL, and the host became part of it.
    if (raw.includes('#')) {
      problems.push(`${name} must not contain "#": percent-encode it as %23 (in a password too)`);
      return raw;
    }
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must use ${protocols.join(' or ')} (got "${parsed.protocol}")`);
      }
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return raw;
  };

  // A base URL with a problem of its own is reported once: the checks after see the default.
  const baseUrl = (name: string, fallback: string): string => {
    const reported = problems.length;
    const value = url(name, ['https:', 'http:']);
    return value === null || problems.length > reported ? fallback : value;
  };

  /** A comma-separated variable's entries, trimmed, without empty ones. */
  const list = (name: string): string[] => (read(name) ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  const allowList = (name: string): string[] => {
    const entries = list(name).map((entry) => entry.toLowerCase());
    const invalid = entries.filter((entry) => !isAllowListEntry(entry));
    if (invalid.length > 0) {
      problems.push(`${name} entries must be host names, *.domain, IPs or CIDRs in canonical form (invalid: ${invalid.join(', ')})`);
    }
    return entries.filter(isAllowListEntry);
  };

  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  if (redisUrl !== null && !/^\/?\d*$/.test(urlPath(redisUrl))) {
    // The path is not quoted: a password with an unencoded "/" lands in it (redis://u:12/secret@host).
    problems.push('REDIS_URL\'s path must be a database number, as in redis://host:6379/0 (a "/" in a password must be percent-encoded as %2F)');
  }
  if (role === 'migrate') {
    if (databaseUrl === null) problems.push('DATABASE_URL is required to run migrations');
  } else if (role === 'worker' && (databaseUrl === null || redisUrl === null)) {
    const missing = [databaseUrl === null ? 'DATABASE_URL' : null, redisUrl === null ? 'REDIS_URL' : null].filter(Boolean).join(' and ');
    problems.push(`the worker needs DATABASE_URL and REDIS_URL (${missing} not set; standalone mode runs its processors inside the gateway)`);
  } else if ((databaseUrl === null) !== (redisUrl === null)) {
    // Production never falls back silently: half a configuration is an error, not standalone mode.
    problems.push(
      `set both DATABASE_URL and REDIS_URL for production, or neither for standalone mode (only ${databaseUrl ? 'DATABASE_URL' : 'REDIS_URL'} is set)`,
    );
  }
  const mode: RunMode = databaseUrl && redisUrl ? 'production' : 'standalone';

  // Standalone mode's launcher generates and persists both secrets before this runs.
  const adminApiKey = read('ADMIN_API_KEY') ?? '';
  if (adminApiKey === '') {
    if (role === 'gateway') problems.push('ADMIN_API_KEY is required (the admin API is never left open)');
  } else if (adminApiKey.length < 16) {
    problems.push('ADMIN_API_KEY must be at least 16 characters');
  } else if (!/^[\x21-\x7e]+$/.test(adminApiKey)) {
    // Clients send it in a header, whose bytes Node reads as Latin-1: curl's UTF-8 "é" would never match.
    problems.push('ADMIN_API_KEY must be printable ASCII without spaces (clients send it in a header)');
  }

  let encryptionKey: Buffer | undefined;
  const rawEncryptionKey = read('ENCRYPTION_KEY');
  if (rawEncryptionKey !== undefined) {
    encryptionKey = parseEncryptionKey(rawEncryptionKey);
    if (!encryptionKey) {
      problems.push('ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64 (try: openssl rand -hex 32)');
    }
  } else if (role === 'gateway') {
    // Only the gateway reads provider credentials: the worker and the migrations never get the key.
    problems.push('ENCRYPTION_KEY is required (provider credentials are encrypted with it; try: openssl rand -hex 32)');
  }

  const logLevel = (read('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const proxyPort = int('PROXY_PORT', 8002, 0, 65535);
  const adminPort = int('ADMIN_PORT', 8001, 0, 65535);
  if (proxyPort !== 0 && proxyPort === adminPort) problems.push('PROXY_PORT and ADMIN_PORT must differ');

  /** A text variable that must match `pattern`, described by `what` in the error. */
  const text = (name: string, fallback: string, pattern: RegExp, what: string): string => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!pattern.test(raw)) {
      problems.push(`${name} must be ${what} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return raw;
  };
  // Standalone mode is a first look on a workstation, whose admin key it prints: this machine
  // only, unless HOST says otherwise. listen() takes an IPv6 address without brackets.
  const host = (read('HOST') ?? (mode === 'standalone' ? '127.0.0.1' : '0.0.0.0')).replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) === 0 && !isHostName(host)) problems.push(`HOST must be an IP address or a host name to bind to (got ${JSON.stringify(read('HOST'))})`);

  const totalTimeoutMs = int('UPSTREAM_TOTAL_TIMEOUT_MS', 600_000, 1, 3_600_000);
  // Unset, the first-byte timeout is its default within the total: a total of 2 minutes alone is
  // a valid configuration. Set above the total, it would never apply.
  const firstByteTimeoutMs = int('UPSTREAM_FIRST_BYTE_TIMEOUT_MS', Math.min(300_000, totalTimeoutMs), 1, 3_600_000);
  if (read('UPSTREAM_FIRST_BYTE_TIMEOUT_MS') !== undefined && firstByteTimeoutMs > totalTimeoutMs) {
    problems.push(`UPSTREAM_FIRST_BYTE_TIMEOUT_MS (${firstByteTimeoutMs}) must not exceed UPSTREAM_TOTAL_TIMEOUT_MS (${totalTimeoutMs}): it would never apply`);
  }

  // Browsers send an origin as scheme://host[:port], lower-case, without a path: the list is
  // compared with it as text, so an entry written otherwise would never match.
  const corsOrigins = (): '*' | string[] => {
    const raw = read('PROXY_CORS_ORIGINS') ?? '*';
    if (raw === '*') return '*';
    if (raw.toLowerCase() === 'none') return [];
    const origins = list('PROXY_CORS_ORIGINS');
    const malformed = origins.filter((origin) => originOf(origin) !== origin);
    if (malformed.length > 0) {
      problems.push(`PROXY_CORS_ORIGINS must be *, none, or origins such as https://app.example.com (no path, no trailing slash), comma-separated (not origins: ${malformed.join(', ')})`);
      return [];
    }
    return origins;
  };

  const env: Env = {
    mode,
    databaseUrl,
    redisUrl,
    adminApiKey,
    encryptionKey: encryptionKey ?? Buffer.alloc(32),
    host,
    proxyPort,
    adminPort,
    logLevel: logLevel as Env['logLevel'],
    maxBodyBytes: int('MAX_BODY_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxBodyBytesInFlight: int('MAX_BODY_BYTES_IN_FLIGHT', 512 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
    // At most 512 MiB: a longer text is more than V8 can make a string of.
    upstreamMaxResponseBytes: int('UPSTREAM_MAX_RESPONSE_BYTES', 128 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    migrateOnStart: bool('MIGRATE_ON_START', true),
    upstreamConnectTimeoutMs: int('UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, 1, 600_000),
    upstreamFirstByteTimeoutMs: firstByteTimeoutMs,
    upstreamTotalTimeoutMs: totalTimeoutMs,
    configResyncIntervalMs: int('CONFIG_RESYNC_INTERVAL_MS', 30_000, 100, 3_600_000),
    configPollIntervalMs: int('CONFIG_POLL_INTERVAL_MS', 1_000, 100, 60_000),
    configFullReloadIntervalMs: int('CONFIG_FULL_RELOAD_INTERVAL_MS', 600_000, 100, 86_400_000),
    // Part of every Redis key: no spaces or control characters (braces for a Cluster hash tag).
    queuePrefix: text('QUEUE_PREFIX', 'tollgate', /^[A-Za-z0-9_.:{}-]{1,100}$/, 'letters, digits and _ . : { } - (at most 100)'),
    workerQueues: list('WORKER_QUEUES'),
    eventBatchSize: int('EVENT_BATCH_SIZE', 200, 1, 10_000),
    eventFlushIntervalMs: int('EVENT_FLUSH_INTERVAL_MS', 50, 1, 60_000),
    eventRetryMaxDelayMs: int('EVENT_RETRY_MAX_DELAY_MS', 300_000, 10, 3_600_000),
    shutdownDrainMs: int('SHUTDOWN_DRAIN_MS', 15_000, 0, 3_600_000),
    shutdownDelayMs: int('SHUTDOWN_DELAY_MS', 0, 0, 600_000),
    workerBatchWaitMs: int('WORKER_BATCH_WAIT_MS', 250, 1, 60_000),
    workerMetricsPort: read('WORKER_METRICS_PORT') === undefined ? null : int('WORKER_METRICS_PORT', 0, 0, 65535),
    openaiBaseUrl: baseUrl('OPENAI_BASE_URL', 'https://api.openai.com/v1'),
    anthropicBaseUrl: baseUrl('ANTHROPIC_BASE_URL', 'https://api.anthropic.com'),
    geminiBaseUrl: baseUrl('GEMINI_BASE_URL', 'https://generativelanguage.googleapis.com/v1beta'),
    deepinfraBaseUrl: baseUrl('DEEPINFRA_BASE_URL', 'https://api.deepinfra.com/v1/openai'),
    // Sent as a header on every Anthropic request: a date, as Anthropic names its versions.
    anthropicVersion: text('ANTHROPIC_VERSION', '2023-06-01', /^\d{4}-\d{2}-\d{2}$/, 'a version date such as 2023-06-01'),
    anthropicDefaultMaxTokens: int('ANTHROPIC_DEFAULT_MAX_TOKENS', 4096, 1, 1_000_000),
    // Sent as the api-version query parameter of every Azure request.
    azureApiVersion: text('AZURE_API_VERSION', '2024-10-21', /^\d{4}-\d{2}-\d{2}(-preview)?$/, 'an API version such as 2024-10-21 or 2025-04-01-preview'),
    budgetDefaultMaxTokens: int('BUDGET_DEFAULT_MAX_TOKENS', 4096, 1, 10_000_000),
    adminRateLimitPerMinute: int('ADMIN_RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    upstreamAllowedHosts: allowList('UPSTREAM_ALLOWED_HOSTS'),
    proxyCorsOrigins: corsOrigins(),
  };
  // Below one body's bound, the largest bodies MAX_BODY_BYTES admits would be refused every time.
  if (env.maxBodyBytesInFlight < env.maxBodyBytes) problems.push(`MAX_BODY_BYTES_IN_FLIGHT must be at least MAX_BODY_BYTES (${env.maxBodyBytes})`);
  for (const check of checks) problems.push(...check(env));
  if (problems.length > 0) throw new EnvValidationError(problems);
  return env;
}

/** The origin a browser would send for this text (http or https), or null. */
function originOf(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** A DNS name: labels of letters, digits and `-` (and `_` when `underscores`: service names), at most 253 characters. */
function isHostName(name: string, underscores = false): boolean {
  const label = underscores ? /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i : /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
  return name.length > 0 && name.length <= 253 && name.split('.').every((part) => label.test(part));
}

/** `host.name`, `*.domain`, `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8` (IPs in canonical notation only). */
function isAllowListEntry(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  if (extra !== undefined) return false;
  const version = isIP(address.replace(/^\[(.*)\]$/, '$1'));
  if (prefix !== undefined) return version !== 0 && /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
  if (version !== 0) return true;
  // Numeric look-alikes (127.1, 0x7f000001) are ambiguous: ask for the canonical address.
  if (/^[0-9.]+$/.test(address) || /^0x/i.test(address)) return false;
  // Entries are lowercased when read.
  return isHostName(address.replace(/^\*\./, '').replace(/\.$/, ''), true);
}

function parseEncryptionKey(raw: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  // 32 bytes are 43 base64 (or base64url) characters and one pad; Buffer.from alone skips
  // characters it does not know, so "<a valid key>!!!" would pass as that key.
  if (/^[A-Za-z0-9+/]{43}=?$/.test(raw)) return Buffer.from(raw, 'base64');
  if (/^[A-Za-z0-9_-]{43}=?$/.test(raw)) return Buffer.from(raw, 'base64url');
  return undefined;
}

/** A URL's path as written (an unparseable URL is reported on its own). */
function urlPath(raw: string): string {
  try {
    return new URL(raw).pathname;
  } catch {
    return '';
  }
}

/** Nest injection token for the validated {@link Env}. */
export const ENV = Symbol('ENV');
