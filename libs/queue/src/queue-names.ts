export enum QueueName {
  RequestEvents = 'request-events',
}

export enum JobName {
  RecordRequestEvent = 'record-request-event',
}
