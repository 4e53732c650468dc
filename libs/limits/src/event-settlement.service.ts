import { Injectable } from '@nestjs/common';
import { RequestEventData } from '@tollgate/queue';
import { EventEntity, EventRecorderService } from '@tollgate/reporting';
import { reservationNano } from './limit-keys';
import { LimitsService } from './limits.service';

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
 */
@Injectable()
export class EventSettlementService {
  constructor(
    private readonly recorder: EventRecorderService,
    private readonly limits: LimitsService,
  ) {}

  /** Returns the events recorded by this call: a retried batch's already-recorded ones are left out. */
  async record(events: RequestEventData[]): Promise<EventEntity[]> {
    try {
      return await this.settleAndPersist(events);
    } catch (error) {
      // The jobs run again later: what this attempt settled must still be settled then. (If
      // Redis is what failed, this fails too; the markers then keep their own TTL.)
      await this.limits.keepSettled(events.map((event) => event.id)).catch(() => undefined);
      throw error;
    }
  }

  private async settleAndPersist(delivered: RequestEventData[]): Promise<EventEntity[]> {
    const recorded = await this.recorder.recordedIds(delivered.map((event) => event.id));
    const events = recorded.size === 0 ? delivered : delivered.filter((event) => !recorded.has(event.id));
    const rows = await this.recorder.price(events);
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
