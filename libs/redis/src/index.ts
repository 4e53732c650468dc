export { bullmqConnectionOptions, createRequestPathRedis, createSubscriberRedis, rateLimitedRedisErrorLogger } from './redis-connections';
export { RedisDataLoss, RedisDataLossWatch, RedisDataLossWatchOptions } from './redis-data-loss-watch';
