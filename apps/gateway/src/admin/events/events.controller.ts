import { Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { EventsQueryService } from '@tollgate/reporting';
import { AdminController } from '../common/admin-controller.decorator';
import { splitQueryList } from '../common/query-list';
import { EventResponse } from './event.response';

@AdminController('api/events', 'events')
export class EventsController {
  constructor(private readonly events: EventsQueryService) {}

  @Get()
  @ApiOperation({ summary: 'Get events (newest first, at most 1000)' })
  @ApiQuery({ name: 'customId', required: false, description: 'Custom identifier (x-custom-event-id) of the events.' })
  @ApiQuery({ name: 'keyIds', required: false, type: [String], description: 'Key ids; start and end are then required.' })
  @ApiQuery({ name: 'start', required: false, type: Number, description: 'Start, unix seconds (inclusive).' })
  @ApiQuery({ name: 'end', required: false, type: Number, description: 'End, unix seconds (inclusive).' })
  @ApiOkResponse({ type: [EventResponse] })
  async list(
    @Query('customId') customId?: string,
    @Query('keyIds') keyIds?: string | string[],
    @Query('start') start?: string,
    @Query('end') end?: string,
  ): Promise<EventResponse[]> {
    const ids = splitQueryList(keyIds);
    const startSeconds = parseUnix('start', start);
    const endSeconds = parseUnix('end', end);
    if (ids.length > 0 && (startSeconds === undefined || endSeconds === undefined)) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, 'start and end are required when keyIds is given', 'start');
    }
    const events = await this.events.find({ customId, keyIds: ids, start: startSeconds, end: endSeconds });
    return events.map(EventResponse.from);
  }
}

function parseUnix(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, `${name} must be a unix timestamp in seconds`, name);
  }
  return parsed;
}
