export { bullmqConnectionOptions, createRequestPathRedis, createSubscriberRedis, rateLimitedRedisErrorLogger } from './redis-connections';
export { RedisDataLoss, RedisDataLossWatch, RedisDataLossWatchOptions } from './redis-data-loss-watch';
export { isRedisUnavailableError } from './redis-unavailable-error';
