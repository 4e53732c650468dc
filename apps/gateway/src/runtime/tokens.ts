/** The request path's Redis client (null in standalone mode, which has no Redis). */
export const REQUEST_REDIS = Symbol('REQUEST_REDIS');
