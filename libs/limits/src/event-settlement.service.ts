import { isDeepStrictEqual } from 'node:util';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { LOGGER, Logger, NamingLogThrottle } from '@tollgate/common';
import { PostgresRefusal } from '@tollgate/database';
import { RequestEventData } from '@tollgate/queue';
import { Degradation, EventEntity, EventRecorderService, eventRefusalOf, minimalForm, withoutUnstorableParts } from '@tollgate/reporting';
import { reservationNano } from './limit-keys';
import { LimitsService } from './limits.service';

/**
 * Postgres refuses an event even in its minimal form (a created_at out of its range, say, or a
 * key whose spend the event's cost would take past what spent_usd holds): it is retried like
 * one that failed for an outage, and counted and logged as this.
 */
export class UnrecordableEventError extends Error {
  constructor(
    readonly requestId: string,
    readonly refusal: PostgresRefusal,
  ) {
    super(`Postgres refuses event ${requestId} even in its minimal form (SQLSTATE ${refusal.code}): ${refusal.message}`);
    this.name = 'UnrecordableEventError';
  }
}

/**
 * What happens to a finished request, in the worker (or in-process in standalone mode):
 * price it, settle its budget reservation to the actual cost, persist it.
 *
 * Settling comes before persisting and is idempotent per request (a marker per settled request,
 * renewed by every failed attempt), so a batch that fails to persist is retried without counting
 * its spend twice, and a crash between the two can over-count a request in Redis but never let
 * it go uncounted. A request already in Postgres was settled before it was persisted, so one
 * delivered again after its marker expired (a worker that crashed after committing its batch and
 * stayed down longer than the marker's life) is left out of both.
 *
 * An event Postgres refuses for what it holds (SQLSTATE class 22 or 23) would be refused on
 * every attempt, for a week, then lost with its spend. Recorded alone (callers record a failed
 * batch event by event), it is recorded degraded instead: without the parts Postgres is known to
 * refuse, else in its minimal form, its cost counted once either way and the fields it lost
 * named in degraded_fields. Only if even the minimal form is refused is it retried as before.
 */
@Injectable()
export class EventSettlementService implements OnApplicationShutdown {
  /** Named, never with their values: bodies and ids are the clients'. */
  private readonly degradedLog: NamingLogThrottle<{ requestId: string; degradedFields: string[]; refusal: PostgresRefusal }>;
  private readonly unrecordableLog: NamingLogThrottle<{ requestId: string; refusal: PostgresRefusal }>;

  constructor(
    private readonly recorder: EventRecorderService,
    private readonly limits: LimitsService,
    @Inject(LOGGER) logger: Logger,
  ) {
    const log = logger.child({ context: 'EventSettlement' });
    this.degradedLog = new NamingLogThrottle((events, occurrences) =>
      log.warn({ events, occurrences }, 'Postgres refused events whole: recorded without the fields each names (degraded_fields), their cost counted'),
    );
    this.unrecordableLog = new NamingLogThrottle((events, occurrences) =>
      log.error({ events, occurrences }, 'Postgres refuses events even in their minimal form: retried with backoff, their cost not in Postgres until recorded'),
    );
  }

  /** The request ids the last interval held back are logged before the process ends. */
  onApplicationShutdown(): void {
    this.degradedLog.close();
    this.unrecordableLog.close();
  }

  /**
   * Returns the events recorded by this call (a degraded one with its degradedFields): a retried
   * batch's already-recorded ones are left out. Throws UnrecordableEventError for a lone event
   * Postgres refuses even in its minimal form.
   */
  async record(events: RequestEventData[]): Promise<EventEntity[]> {
    try {
      return await this.recordAsDelivered(events);
    } catch (error) {
      // The jobs run again later: what this attempt settled must still be settled then. (If
      // Redis is what failed, this fails too; the markers then keep their own TTL.)
      await this.limits.keepSettled(events.map((event) => event.id)).catch(() => undefined);
      throw error;
    }
  }

  private async recordAsDelivered(events: RequestEventData[]): Promise<EventEntity[]> {
    try {
      return await this.settleAndPersist(events, null);
    } catch (error) {
      const refusal = eventRefusalOf(error);
      // In a batch, the event at fault is not known: the caller records each alone.
      if (refusal === null || events.length !== 1) throw error;
      return this.recordDegraded(events[0], refusal);
    }
  }

  /**
   * Each form in its own transaction, so the spend is added once, with the form that is stored.
   * A form that changes nothing (the event as it came), or nothing the one before did not, is
   * not tried again. A failure that is not a refusal of the data (Postgres gone meanwhile) is
   * thrown as it is: retried, and the next attempt starts over from the event as it came.
   */
  private async recordDegraded(event: RequestEventData, firstRefusal: PostgresRefusal): Promise<EventEntity[]> {
    let refusal = firstRefusal;
    let tried: Degradation | null = null;
    for (const form of [withoutUnstorableParts(event), minimalForm(event)]) {
      // Compared by value, not by the fields named: a field cut of its NULs in one form is
      // dropped in the next (a tag kept, a model cut), which Postgres may take where it refused the other.
      if (form.degradedFields.length === 0 || (tried !== null && isDeepStrictEqual(form.replacements, tried.replacements))) continue;
      tried = form;
      try {
        const recorded = await this.settleAndPersist([event], form);
        if (recorded.length > 0) this.degradedLog.note(event.id, { requestId: event.id, degradedFields: form.degradedFields, refusal: firstRefusal });
        return recorded;
      } catch (error) {
        const next = eventRefusalOf(error);
        if (next === null) throw error;
        refusal = next;
      }
    }
    this.unrecordableLog.note(event.id, { requestId: event.id, refusal });
    throw new UnrecordableEventError(event.id, refusal);
  }

  private async settleAndPersist(delivered: RequestEventData[], form: Degradation | null): Promise<EventEntity[]> {
    const recorded = await this.recorder.recordedIds(delivered.map((event) => event.id));
    const events = recorded.size === 0 ? delivered : delivered.filter((event) => !recorded.has(event.id));
    const rows = await this.recorder.price(events);
    // Priced as it came (the model is dropped from the minimal form, not from its price).
    if (form) for (const row of rows) Object.assign(row, form.replacements, { degradedFields: form.degradedFields });
    const reservations = new Map(events.map((event) => [event.id, event.reservationMember]));
    for (const row of rows) {
      const member = reservations.get(row.id) ?? null;
      // The gateway admitted this request because its model had a price, but the answer came
      // back under a model name without one (a dated snapshot, a deployment's underlying model).
      // A budgeted request is never free: it is charged what was reserved, its worst case, and
      // stays flagged price_known = false. Postgres gets the same cost, so a rebuild agrees.
      if (row.costInUsd === null && member !== null) row.costInUsd = reservationNano(member) / 1e9;
    }
    // A user's budget counts its requests since it was registered (an event may be recorded late).
    const registered = await this.limits.userRegistrations(rows.flatMap((row) => (row.userId ? [row.userId] : [])));
    await this.limits.settle(
      rows.map((row) => ({
        requestId: row.id,
        keyId: row.keyId,
        userId: row.userId,
        userRegistered: row.userId !== null && row.createdAt.getTime() >= (registered.get(row.userId) ?? Infinity),
        createdAt: row.createdAt.getTime(),
        reservationMember: reservations.get(row.id) ?? null,
        costUsd: row.costInUsd,
      })),
    );
    const inserted = await this.recorder.persist(rows);
    return rows.filter((row) => inserted.has(row.id));
  }
}
