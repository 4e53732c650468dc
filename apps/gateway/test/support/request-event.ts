import { randomUUID } from 'node:crypto';
import { RequestEventData } from '@tollgate/queue';

/** A priced chat completion's event as the gateway enqueues it, with a fresh id; `fields` override. */
export function requestEvent(fields: Partial<RequestEventData> = {}): RequestEventData {
  return {
    id: randomUUID(),
    createdAt: Date.now(),
    keyId: null,
    tags: [],
    settingId: null,
    provider: 'openai',
    model: 'gpt-4o-mini',
    status: 200,
    path: '/v1/chat/completions',
    method: 'POST',
    stream: false,
    latencyMs: 5,
    customId: null,
    userId: null,
    errorCode: null,
    usage: { promptTokens: 10, completionTokens: 5 },
    estimationInput: null,
    request: null,
    response: null,
    reservationMember: null,
    ...fields,
  };
}
