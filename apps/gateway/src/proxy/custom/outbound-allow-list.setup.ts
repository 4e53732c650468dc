import { Inject, Injectable } from '@nestjs/common';
import { ENV, Env } from '@tollgate/common';
import { UpstreamAllowList, configureOutboundAllowList } from '@tollgate/providers';

/**
 * Applies UPSTREAM_ALLOWED_HOSTS to the process-wide outbound policy, which guards every
 * UpstreamClient built without its own guard (all providers) and the provider settings'
 * save-time url check. Runs while the application is built, before any listener accepts a
 * request; until then the policy is the strictest one (no allow-list).
 */
@Injectable()
export class OutboundAllowListSetup {
  constructor(@Inject(ENV) env: Env) {
    configureOutboundAllowList(UpstreamAllowList.parse(env.upstreamAllowedHosts));
  }
}
