import { TokenUsage } from '@tollgate/common';
import { JobName } from './queue-names';

/**
 * Everything the worker needs to price and persist one proxied request. It never holds the
 * provider credential nor the client's key: only ids.
 */
export interface RequestEventData {
  /** The request id; also the BullMQ job id and the event's primary key (idempotency). */
  id: string;
  createdAt: number;
  keyId: string | null;
  tags: string[];
  settingId: string | null;
  provider: string;
  /** The model the provider says answered (a dated snapshot, say), else the one requested. */
  model: string;
  /** The model the client asked for; priced when the answering model has no price. */
  requestedModel?: string;
  status: number;
  path: string;
  method: string;
  stream: boolean;
  latencyMs: number;
  customId: string | null;
  userId: string | null;
  errorCode: string | null;
  /** Reported by the provider; null when it reported none. Older gateways' events lack the audio counts. */
  usage: TokenUsage | null;
  /**
   * The text the worker counts tokens from: with usage null, prompt and completion; with a usage
   * that lacks its final output count (a stream cut before it), the completion only.
   */
  estimationInput: {
    prompt: string;
    completion: string;
    /**
     * Prompt tokens counted without the tokenizer (images, audio, token ids, and the bound of
     * the text past what the worker counts, which the gateway keeps out of the event); absent
     * from older gateways' events.
     */
    promptExtraTokens?: number;
    /** Completion tokens the text does not carry: the bound of what followed its counted part. */
    completionExtraTokens?: number;
  } | null;
  request: string | null;
  response: string | null;
  /**
   * The operation is billed by something other than tokens (audio, images) that the gateway
   * cannot price: recorded with an unknown cost, never as free.
   */
  unpriced?: boolean;
  /** The budget reservation made at admission ("<id>:<nano-USD>"), settled by the worker. */
  reservationMember: string | null;
}

/** Every job on every queue: a discriminated union, so a handler switch is checked exhaustively. */
export type JobPayload = { name: JobName.RecordRequestEvent; data: RequestEventData };
