import { Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { EventsQueryService } from '@tollgate/reporting';
import { AdminController } from '../common/admin-controller.decorator';

@AdminController('api/reporting', 'reporting')
export class ReportingController {
  constructor(private readonly events: EventsQueryService) {}

  @Get(['user-ids', 'users-ids'])
  @ApiOperation({ summary: 'User ids seen on a key\'s requests (also at /api/reporting/users-ids)' })
  @ApiQuery({ name: 'keyId', required: true, description: 'Key id.' })
  @ApiOkResponse({ type: [String] })
  async userIds(@Query('keyId') keyId?: string): Promise<string[]> {
    return this.events.distinctForKey('user_id', requireKeyId(keyId));
  }

  @Get('custom-ids')
  @ApiOperation({ summary: 'Custom ids (x-custom-event-id) seen on a key\'s requests' })
  @ApiQuery({ name: 'keyId', required: true, description: 'Key id.' })
  @ApiOkResponse({ type: [String] })
  async customIds(@Query('keyId') keyId?: string): Promise<string[]> {
    return this.events.distinctForKey('custom_id', requireKeyId(keyId));
  }
}

function requireKeyId(keyId: string | undefined): string {
  if (!keyId) throw new GatewayError(GatewayErrorCode.InvalidRequest, 'keyId is required', 'keyId');
  return keyId;
}
