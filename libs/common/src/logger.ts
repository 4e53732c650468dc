import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

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

/** Log lines wait in memory until this many bytes are pending, or {@link LOG_FLUSH_INTERVAL_MS}. */
const LOG_BUFFER_BYTES = 4096;
const LOG_FLUSH_INTERVAL_MS = 200;

export function createLogger(level: string, name: string, destination: pino.DestinationStream = bufferedStdout()): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
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
    this.logger.info({ context }, String(message));
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

export const LOGGER = Symbol('LOGGER');
export type { Logger };
