import { Injectable } from '@nestjs/common';

/**
 * Whether this gateway has begun stopping. Readiness turns 503 the moment it has, while both
 * listeners keep serving for SHUTDOWN_DELAY_MS: load balancers and kube-proxy take a few
 * seconds to stop sending new connections to a pod, and connections sent meanwhile to a closed
 * listener would be refused.
 */
@Injectable()
export class ShutdownState {
  private stoppingSince: number | null = null;

  begin(): void {
    this.stoppingSince ??= Date.now();
  }

  get stopping(): boolean {
    return this.stoppingSince !== null;
  }
}
