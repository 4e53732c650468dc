import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { isRecord } from './is-record';

/**
 * Paths pino replaces with "[redacted]" wherever they appear in a log record, so a credential
 * that reaches a log call by mistake still never reaches the log.
 */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["api-key"]',
  '*.apiKey',
  '*.apikey',
  '*.setting',
  '*.credentials',
  '*.key',
  'apiKey',
  'setting',
  'credentials',
];

/**
 * pino's error serializer, minus the data a failed command or query carries. ioredis attaches
 * the failed command to its errors (`command: { name, args }`), and those of a failed AUTH or
 * HELLO are the Redis password: a wrong or rotated password wrote it into every
 * connection-error line. Any command's arguments may hold data (keys, ids, values), so none are
 * kept, only the command's name. TypeORM's QueryFailedError likewise carries the query's bound
 * `parameters`: for the worker's event insert, every column of every event in the batch, the
 * prompts and answers of keys that log them and the clients' user ids among them, written into
 * each "event jobs failed" line while Postgres refused them. The query's text stays (it names
 * what failed), its values go. Done here rather than at the call sites, so that no `{ err }`
 * log call can leak them; redaction paths cannot reach an error nested in another's fields.
 */
function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error);
  return serialized === error ? error : withoutData(serialized);
}

/** What pino's error serializer makes of an error, and of the errors in its fields. */
const SERIALIZED_ERROR = Object.getPrototypeOf(pino.stdSerializers.err(new Error())) as object;

function withoutData(serialized: pino.SerializedError): pino.SerializedError {
  for (const [key, value] of Object.entries(serialized)) {
    if (key === 'command' && isRecord(value)) serialized[key] = { name: value.name };
    if (key === 'parameters') delete serialized[key];
    // Postgres's detail of a NOT NULL or CHECK violation is the whole row ("Failing row contains (...)").
    if (key === 'detail' && typeof value === 'string' && value.startsWith('Failing row contains')) serialized[key] = 'Failing row contains (values left out)';
    for (const inner of key === 'aggregateErrors' && Array.isArray(value) ? value : [value]) {
      if (isRecord(inner) && Object.getPrototypeOf(inner) === SERIALIZED_ERROR) withoutData(inner as pino.SerializedError);
    }
  }
  return serialized;
}

/** Log lines wait in memory until this many bytes are pending, or {@link LOG_FLUSH_INTERVAL_MS}. */
const LOG_BUFFER_BYTES = 4096;
const LOG_FLUSH_INTERVAL_MS = 200;

export function createLogger(level: string, name: string, destination: pino.DestinationStream = bufferedStdout()): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/**
 * stdout, written in batches: one asynchronous write (a thread-pool round trip) per access-log
 * line was a visible share of the proxy's CPU per request. pino flushes it synchronously when
 * the process exits (crashes included); the periodic flush bounds how late a line can appear
 * when traffic is light.
 */
function bufferedStdout(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_INTERVAL_MS });
}

/**
 * The per-request access line's logger. Its fields are fixed (request id, method, route,
 * status, timings) and can never hold a credential, so it skips the redaction pass (wildcard
 * paths walk every record) that each of these lines would otherwise pay for.
 */
export function accessLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/** Routes Nest's own log lines (bootstrap, exceptions) into the same structured pino stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    // Nest's start-up chatter (a line per module, controller and route: about 90) buried the
    // lines an operator reads at start, standalone mode's banner among them: debug, not info.
    if (context !== undefined && NEST_STARTUP_CONTEXTS.has(context)) this.logger.debug({ context }, String(message));
    else this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, message instanceof Error ? message.message : String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}

/** Where Nest logs its wiring at start: modules initialised, controllers and routes mapped. */
const NEST_STARTUP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

export const LOGGER = Symbol('LOGGER');
export type { Logger };
