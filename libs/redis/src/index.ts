export { bullmqConnectionOptions, createRequestPathRedis, createSubscriberRedis, rateLimitedRedisErrorLogger } from './redis-connections';
