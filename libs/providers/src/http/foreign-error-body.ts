/** The most of an error body's text that a client's message or the operator's log keeps. */
const MAX_EXCERPT_CHARS = 500;

export interface ForeignErrorBody {
  /** For the client. */
  message: string;
  /** For the operator's log when the client's message leaves the body out (null otherwise). */
  logDetail: string | null;
}

/**
 * An error answer that is not in the provider's documented error format.
 *
 * - A 4xx concerns the client's request, and its text is relayed: JSON with a message of its own
 *   (`{"object":"error","message":…}` from vLLM or Mistral, `{"error":"…"}` from TGI or Ollama,
 *   `{"detail":"…"}` from FastAPI servers) as that message (its context was too long, its input
 *   invalid), anything else (a proxy's page: a body too large for it) as an excerpt.
 * - A 5xx is a failure behind the gateway, and its text, JSON or a page from something in front
 *   of the provider (a proxy, a load balancer, an ingress), names internal hosts and addresses
 *   ("Error occurred while trying to proxy: llama.corp.internal:8000 (10.0.3.7)"), which are the
 *   operator's: the client reads the status, the operator's log an excerpt.
 */
export function foreignErrorBody(status: number, text: string): ForeignErrorBody {
  const ownMessage = jsonMessageOf(text);
  const excerpt = (ownMessage ?? text).replace(/\s+/g, ' ').trim().slice(0, MAX_EXCERPT_CHARS);
  if (status < 500) return { message: `The upstream provider answered ${status}${excerpt ? `: ${excerpt}` : ''}`, logDetail: null };
  return {
    message: `The upstream provider answered ${status}${excerpt ? ", with a body that is not its error format (the gateway's log has an excerpt)" : ''}`,
    logDetail: excerpt ? `HTTP ${status}: ${excerpt}` : null,
  };
}

/** The text of a JSON error body's own message field, if it has one. */
function jsonMessageOf(text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const record = parsed as Record<string, unknown>;
  for (const field of ['message', 'error', 'detail']) {
    const value = record[field];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return null;
}
