import { Inject, Injectable } from '@nestjs/common';
import { ENV, Env } from '@tollgate/common';
import { OutboundRefusedError, SsrfGuard, UpstreamAllowList, configureOutboundAllowList } from '@tollgate/providers';

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

/**
 * The providers' default base URLs go through the outbound policy on every call: one it refuses
 * (OPENAI_BASE_URL=http://127.0.0.1:8000/v1 without the host in UPSTREAM_ALLOWED_HOSTS) is a
 * configuration problem at start, as a setting's url is refused when saved, not a 502 on every
 * request. The checks that need no DNS (scheme, literal addresses, local names).
 */
export function refusedDefaultBaseUrls(env: Env): string[] {
  const guard = SsrfGuard.withAllowList(UpstreamAllowList.parse(env.upstreamAllowedHosts));
  const urls = { OPENAI_BASE_URL: env.openaiBaseUrl, ANTHROPIC_BASE_URL: env.anthropicBaseUrl, GEMINI_BASE_URL: env.geminiBaseUrl, DEEPINFRA_BASE_URL: env.deepinfraBaseUrl };
  return Object.entries(urls).flatMap(([name, url]) => {
    try {
      guard.checkUrl(url);
      return [];
    } catch (error) {
      if (error instanceof OutboundRefusedError) return [`${name} is refused by the outbound policy: ${error.message}`];
      throw error;
    }
  });
}
