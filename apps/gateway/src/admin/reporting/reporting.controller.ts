import { Body, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { EventReportsService, EventsQueryService, MAX_DATA_POINTS } from '@tollgate/reporting';
import { AdminController } from '../common/admin-controller.decorator';
import { assertRange } from '../common/report-fields';
import { KeyIdQuery, MetricsRequest, TopKeysRequest } from './reporting.request';
import { MetricsResponse, TopKeysResponse } from './reporting.response';


@AdminController('api/reporting', 'reporting')
export class ReportingController {
  constructor(
    private readonly events: EventsQueryService,
    private readonly reports: EventReportsService,
  ) {}

  @Post('events')
  @HttpCode(200)
  @ApiOperation({ summary: 'Metrics: requests, cost, tokens and latency per interval of [start, end), optionally broken down by model, keyId, customId or userId' })
  @ApiOkResponse({ type: MetricsResponse, description: 'Metrics per interval of the range, and latency percentiles of the whole range' })
  async metrics(@Body() body: MetricsRequest): Promise<MetricsResponse> {
    assertRange(body.start, body.end);
    if (Math.ceil((body.end - body.start) / body.increment) > MAX_DATA_POINTS) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, `(end - start) / increment must be at most ${MAX_DATA_POINTS} intervals: widen the increment`, 'increment');
    }
    return this.reports.metrics({
      start: body.start,
      end: body.end,
      increment: body.increment,
      keyIds: body.keyIds,
      tags: body.tags,
      customIds: body.customIds,
      userIds: body.userIds,
      groupBy: [...new Set(body.filters ?? [])],
    });
  }

  @Post('top-keys')
  @HttpCode(200)
  @ApiOperation({ summary: 'Keys ranked by what their requests in [start, end) cost' })
  @ApiOkResponse({ type: TopKeysResponse, description: 'Keys ranked by what their priced requests cost in the range' })
  async topKeys(@Body() body: TopKeysRequest): Promise<TopKeysResponse> {
    assertRange(body.start, body.end);
    const dataPoints = await this.reports.topKeys({
      start: body.start,
      end: body.end,
      keyIds: body.keyIds,
      tags: body.tags,
      name: body.name,
      revoked: body.revoked,
      limit: body.limit ?? 100,
      offset: body.offset ?? 0,
      order: body.order ?? 'desc',
    });
    return { dataPoints };
  }

  @Get(['user-ids', 'users-ids'])
  @ApiOperation({ summary: 'User ids seen on a key\'s requests (also at /api/reporting/users-ids)' })
  @ApiOkResponse({ type: [String], description: 'User ids seen on the key\'s requests, in order (the first 10,000)' })
  async userIds(@Query() query: KeyIdQuery): Promise<string[]> {
    return this.events.distinctForKey('user_id', query.keyId);
  }

  @Get('custom-ids')
  @ApiOperation({ summary: 'Custom ids (x-custom-event-id) seen on a key\'s requests' })
  @ApiOkResponse({ type: [String], description: 'Custom ids seen on the key\'s requests, in order (the first 10,000)' })
  async customIds(@Query() query: KeyIdQuery): Promise<string[]> {
    return this.events.distinctForKey('custom_id', query.keyId);
  }
}
