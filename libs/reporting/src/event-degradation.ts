import { isUuid } from '@tollgate/common';
import { PostgresRefusal, dataRefusalOf } from '@tollgate/database';
import { RequestEventData } from '@tollgate/queue';

/** The parts of an event stored as the event gave them (the event and its row name them alike). */
export type StoredParts = Pick<RequestEventData, 'tags' | 'keyId' | 'settingId' | 'provider' | 'model' | 'path' | 'method' | 'customId' | 'userId' | 'errorCode' | 'request' | 'response'>;

/** A form of an event that Postgres may take where it refused the whole: the parts replaced, and their names. */
export interface Degradation {
  replacements: Partial<StoredParts>;
  /** The fields (as the events API names them) dropped or cut, in column order; empty: the event as it is. */
  degradedFields: string[];
}

/** The events API's name of each part, in column order. */
const FIELD_NAMES: Record<keyof StoredParts, string> = {
  tags: 'tags',
  keyId: 'key_id',
  settingId: 'setting_id',
  provider: 'provider',
  model: 'model',
  path: 'path',
  method: 'method',
  customId: 'custom_id',
  userId: 'user_id',
  errorCode: 'error_code',
  request: 'request',
  response: 'response',
};

/**
 * Whether Postgres refused an event for what it holds: it would refuse it on every attempt.
 * Not a violation of the events' primary key: recording is idempotent on the request id (ON
 * CONFLICT), so one can only be a race another attempt settles.
 */
export function eventRefusalOf(error: unknown): PostgresRefusal | null {
  const refusal = dataRefusalOf(error);
  return refusal && !(refusal.code === '23505' && refusal.constraint === 'events_pkey') ? refusal : null;
}

/**
 * The event without the parts Postgres is known to refuse: text holding NUL (Postgres text
 * cannot), which gateways before control characters were stripped from client text enqueued,
 * and ids that are not uuids. An id is dropped rather than mended, being someone's (a custom id,
 * a user, whose spend it carries) only as it is: no user or key can have an id Postgres refuses,
 * so no spend is lost with it. Other text (model, bodies, path...) loses its NULs only.
 */
export function withoutUnstorableParts(event: StoredParts): Degradation {
  const replacements: Partial<StoredParts> = {};
  if (event.keyId !== null && !isUuid(event.keyId)) replacements.keyId = null;
  if (event.settingId !== null && !isUuid(event.settingId)) replacements.settingId = null;
  if (event.customId !== null && hasNul(event.customId)) replacements.customId = null;
  if (event.userId !== null && hasNul(event.userId)) replacements.userId = null;
  if (event.tags.some(hasNul)) replacements.tags = event.tags.filter((tag) => !hasNul(tag));
  for (const part of ['provider', 'model', 'path', 'method'] as const) {
    if (hasNul(event[part])) replacements[part] = withoutNul(event[part]);
  }
  for (const part of ['errorCode', 'request', 'response'] as const) {
    const text = event[part];
    if (text !== null && hasNul(text)) replacements[part] = withoutNul(text);
  }
  return degradation(replacements);
}

/**
 * The least an event can be recorded as: what counts its cost (id, time, key, provider, status,
 * tokens, cost, latency, path) and nothing else. Every optional part is dropped (tags, model,
 * custom and user id, error code, bodies), for a refusal that names no part (a CHECK or a
 * trigger of an operator's, say); with the user id goes the user's share of the spend in
 * Postgres, never the key's. The parts known to be refused are mended as above.
 */
export function minimalForm(event: StoredParts): Degradation {
  const { replacements } = withoutUnstorableParts(event);
  if (event.tags.length > 0) replacements.tags = [];
  if (event.model !== '') replacements.model = '';
  for (const part of ['customId', 'userId', 'errorCode', 'request', 'response'] as const) {
    if (event[part] !== null) replacements[part] = null;
  }
  return degradation(replacements);
}

function degradation(replacements: Partial<StoredParts>): Degradation {
  const parts = Object.keys(FIELD_NAMES) as Array<keyof StoredParts>;
  return { replacements, degradedFields: parts.filter((part) => part in replacements).map((part) => FIELD_NAMES[part]) };
}

function hasNul(text: string): boolean {
  return text.includes('\u0000');
}

function withoutNul(text: string): string {
  return text.replace(/\u0000/g, '');
}
