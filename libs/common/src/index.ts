export { ENV, Env, EnvValidationError, RunMode, isStandalone, loadEnv } from './env';
export {
  GATEWAY_ERROR_SPECS,
  GatewayError,
  GatewayErrorCode,
  OpenAIErrorBody,
  toOpenAIErrorBody,
} from './gateway-error';
export { TTL_MESSAGE, TTL_PATTERN, UNIT_SECONDS, parseDurationSeconds, toUnixSeconds } from './duration';
export { jsonNumberValue } from './json-number';
export { LOGGER, Logger, PinoNestLogger, REDACTED_LOG_PATHS, accessLogger, createLogger } from './logger';
export { CommonModule } from './common.module';
export { CONFIG_CHANGES, ConfigChange, ConfigChangeNotifier, ConfigEntity, configChangeKey } from './config-changes';
export { LimitFields, LimitFieldsInput, applyLimitFields } from './limit-fields';
export { HEADER_SAFE_TEXT, firstHeader } from './header-text';
export { LONGEST_SDK_RETRY_WAIT_SECONDS } from './sdk-retry';
export { isUuid } from './uuid';
export { escapeLike } from './sql-like';
export { withTimeout } from './with-timeout';
export { KeyedLogThrottle, LogThrottle, NamingLogThrottle } from './log-throttle';
export { NodeSignalUse, shutdownSignals } from './shutdown-signals';
export { exitOnShutdownSignals, exitOnSignalsUntilStarted } from './exit-on-signals';
export { describeStartupFailure } from './startup-failure';
export { collectRuntimeMetrics, mirroredCounter, providerLabel } from './metrics';
export { ConcurrencyLimit } from './concurrency-limit';
export { isRecord } from './is-record';
export { DEPENDENCY_CHECK_TIMEOUT_MS, DependencyStatus, checkDependency } from './dependency-check';
export { TokenUsage } from './token-usage';
