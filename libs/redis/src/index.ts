export { bullmqConnectionOptions, createRequestPathRedis, createSubscriberRedis } from './redis-connections';
