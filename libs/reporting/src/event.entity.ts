import { numericTransformer } from '@tollgate/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'events' })
export class EventEntity {
  /** The request id. */
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'text', array: true, default: [] })
  tags: string[];

  @Column({ name: 'key_id', type: 'uuid', nullable: true })
  keyId: string | null;

  @Column({ name: 'setting_id', type: 'uuid', nullable: true })
  settingId: string | null;

  @Column({ type: 'text' })
  provider: string;

  @Column({ type: 'text', default: '' })
  model: string;

  @Column({ type: 'integer' })
  status: number;

  @Column({ name: 'prompt_token_count', type: 'integer', default: 0 })
  promptTokenCount: number;

  @Column({ name: 'completion_token_count', type: 'integer', default: 0 })
  completionTokenCount: number;

  @Column({ name: 'tokens_estimated', type: 'boolean', default: false })
  tokensEstimated: boolean;

  @Column({ name: 'cost_in_usd', type: 'numeric', nullable: true, transformer: numericTransformer })
  costInUsd: number | null;

  @Column({ name: 'price_known', type: 'boolean', default: true })
  priceKnown: boolean;

  @Column({ name: 'latency_in_ms', type: 'integer' })
  latencyInMs: number;

  @Column({ type: 'text' })
  path: string;

  @Column({ type: 'text' })
  method: string;

  @Column({ type: 'boolean', default: false })
  stream: boolean;

  @Column({ name: 'custom_id', type: 'text', nullable: true })
  customId: string | null;

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId: string | null;

  @Column({ name: 'error_code', type: 'text', nullable: true })
  errorCode: string | null;

  // The bodies (up to 1 MB each) are read only when asked for: see EventsQueryService.
  @Column({ type: 'text', nullable: true, select: false })
  request: string | null;

  @Column({ type: 'text', nullable: true, select: false })
  response: string | null;

  /**
   * Null for an event recorded as it came. Otherwise Postgres refused it whole, and it was
   * recorded (its cost counted) without these fields, as the events API names them: dropped, or
   * cut of what Postgres cannot store (see event-degradation.ts).
   */
  @Column({ name: 'degraded_fields', type: 'text', array: true, nullable: true })
  degradedFields: string[] | null;

  /** Not stored: set on a listed event whose bodies were left out of its page (too large together). */
  bodiesOmitted?: boolean;
}
