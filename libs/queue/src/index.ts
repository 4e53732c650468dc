import './bullmq-close-guard';
export { BatchingEventSink, BatchingOptions, DeliverBatch } from './batching-event-sink';
export { EVENT_JOB_ATTEMPTS, EVENT_JOB_BACKOFF, bullmqEventDelivery, eventRetryDelayMs } from './bullmq-event-delivery';
export { EVENT_SINK, EventSink, EventSinkStats } from './event-sink';
export { EventQueueBacklog, EventQueueBacklogReader } from './event-queue-backlog';
export { JobName, QueueName } from './queue-names';
export { JobPayload, RequestEventData } from './request-event.job';
export { QueuedEventsLossMonitor, QueuedEventsLossMonitorOptions } from './queued-events-loss';
