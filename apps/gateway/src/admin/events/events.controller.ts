import { Body, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { EventCursor, EventsQueryService } from '@tollgate/reporting';
import { FastifyReply, FastifyRequest } from 'fastify';
import { JsonBodyOnGet } from '../../http/json-body-on-get';
import { AdminController, AdminResourceById } from '../common/admin-controller.decorator';
import { assertRange } from '../common/report-fields';
import { EventResponse, EventSearchResponse } from './event.response';
import { EVENT_CURSOR, EVENTS_PAGE_MAX, ListEventsQuery, SearchEventsRequest } from './events.request';

@AdminController('api/events', 'events')
export class EventsController {
  constructor(private readonly events: EventsQueryService) {}

  @Get()
  @ApiOperation({ summary: `Get events, newest first (created_at, then id), ${EVENTS_PAGE_MAX} at most a page; when more match, Link rel="next" and x-next-cursor give the next page` })
  @ApiOkResponse({
    type: [EventResponse],
    description: 'The matching events, newest first (created_at descending, then id ascending)',
    headers: {
      Link: { description: 'Present exactly when more events match: `<...>; rel="next"`, this request with `cursor` set for the next page.', schema: { type: 'string' } },
      'x-next-cursor': { description: 'Present exactly when more events match: the `cursor` of the next page.', schema: { type: 'string' } },
    },
  })
  async list(@Query() query: ListEventsQuery, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<EventResponse[]> {
    const keyIds = query.keyIds ?? [];
    if (keyIds.length > 0 && (query.start === undefined || query.end === undefined)) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, 'start and end are required when keyIds is given', 'start');
    }
    // Both inclusive here: start = end is one second.
    if (query.start !== undefined && query.end !== undefined && query.start > query.end) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, 'start must not be after end', 'start');
    }
    const page = await this.events.find({
      customId: query.customId,
      userId: query.userId,
      keyIds,
      start: query.start,
      end: query.end,
      limit: query.limit ?? EVENTS_PAGE_MAX,
      after: query.cursor === undefined ? undefined : parseCursor(query.cursor),
    });
    if (page.next) {
      // The next page is this very request with the cursor moved on (a reference relative to it).
      const cursor = `${page.next.createdAtMicros}_${Buffer.from(page.next.id).toString('base64url')}`;
      const next = new URL(request.url, 'http://admin');
      next.searchParams.set('cursor', cursor);
      void reply.header('x-next-cursor', cursor).header('link', `<${next.pathname}${next.search}>; rel="next"`);
    }
    return page.events.map(EventResponse.from);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one event by id (the request id), with its whole request and response' })
  @ApiOkResponse({ type: EventResponse, description: 'The event' })
  @AdminResourceById('id', 'event')
  async get(@Param('id') id: string): Promise<EventResponse> {
    const event = await this.events.findOne(id);
    if (!event) throw new GatewayError(GatewayErrorCode.NotFound, `No event has the id ${JSON.stringify(id)}.`, 'id');
    return EventResponse.from(event);
  }
}

/** A cursor as the DTO has checked it (EVENT_CURSOR). */
function parseCursor(cursor: string): EventCursor {
  const [, createdAtMicros, id] = EVENT_CURSOR.exec(cursor)!;
  return { createdAtMicros, id: Buffer.from(id, 'base64url').toString() };
}

/**
 * Events by any of users, custom ids, keys and tags within [start, end), a page at a time. GET
 * takes the fields as query parameters, or as a JSON body as BricksLLM's clients send them; POST
 * takes them as JSON too (a GET body does not get through every HTTP stack).
 */
@AdminController('api/v2/events', 'events')
export class EventsV2Controller {
  constructor(private readonly events: EventsQueryService) {}

  @Get()
  @JsonBodyOnGet()
  @ApiOperation({ summary: 'Search events, paged (filters as query parameters, or as a JSON body as in BricksLLM)' })
  @ApiOkResponse({ type: EventSearchResponse, description: 'One page of matching events, with their count when returnCount is set' })
  searchByQuery(@Query() query: SearchEventsRequest): Promise<EventSearchResponse> {
    return this.search(query);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Search events, paged (filters as JSON)' })
  @ApiOkResponse({ type: EventSearchResponse, description: 'One page of matching events, with their count when returnCount is set' })
  searchByBody(@Body() body: SearchEventsRequest): Promise<EventSearchResponse> {
    return this.search(body);
  }

  private async search(request: SearchEventsRequest): Promise<EventSearchResponse> {
    assertRange(request.start, request.end);
    const found = await this.events.search({
      start: request.start,
      end: request.end,
      keyIds: request.keyIds,
      tags: request.tags,
      customIds: request.customIds,
      userIds: request.userIds,
      limit: request.limit ?? 100,
      offset: request.offset ?? 0,
      costOrder: request.costOrder,
      dateOrder: request.dateOrder,
      returnCount: request.returnCount === true,
    });
    return { events: found.events.map(EventResponse.from), ...(found.count === undefined ? {} : { count: found.count }) };
  }
}
