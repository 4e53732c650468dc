/** The request path's Redis client (null in standalone mode, which has no Redis). */
export const REQUEST_REDIS = Symbol('REQUEST_REDIS');

/** The BullMQ queue the gateway delivers events to (null in standalone mode, which records in-process). */
export const EVENTS_QUEUE = Symbol('EVENTS_QUEUE');
