/** The most of a foreign error body the operator's log keeps. */
const MAX_EXCERPT_CHARS = 500;

export interface ForeignErrorBody {
  /** For the client: the status, nothing of the body. */
  message: string;
  /** For the operator's log: an excerpt of the body (null when it was empty). */
  logDetail: string | null;
}

/**
 * An error answer that is not in the provider's own error format: an HTML page or text from
 * something in front of the provider (a proxy, a load balancer, an ingress). Such bodies name
 * internal hosts and addresses ("Error occurred while trying to proxy: llama.corp.internal:8000
 * (10.0.3.7)"), which are the operator's, not the client's: the client reads the status, the
 * operator's log the excerpt (see ProviderError.logDetail).
 */
export function foreignErrorBody(status: number, text: string): ForeignErrorBody {
  const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, MAX_EXCERPT_CHARS);
  return {
    message: `The upstream provider answered ${status}${excerpt ? ", with a body that is not its error format (the gateway's log has an excerpt)" : ''}`,
    logDetail: excerpt ? `HTTP ${status}: ${excerpt}` : null,
  };
}
