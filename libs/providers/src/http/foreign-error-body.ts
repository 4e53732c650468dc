/** The most of an error body's text that a client's message or the operator's log keeps. */
const MAX_EXCERPT_CHARS = 500;

export interface ForeignErrorBody {
  /** For the client. */
  message: string;
  /** For the operator's log when the client's message leaves the body out (null otherwise). */
  logDetail: string | null;
}

/**
 * An error answer that is not in the provider's documented error format. Two kinds:
 *
 * - JSON with a message of its own (`{"object":"error","message":…}` from vLLM or Mistral,
 *   `{"error":"…"}` from TGI or Ollama, `{"detail":"…"}` from FastAPI servers): the server's own
 *   explanation, which the client needs (its context was too long, its input invalid): relayed.
 * - Anything else (an HTML page, text) comes from something in front of the provider (a proxy,
 *   a load balancer, an ingress). Such a page on a 5xx names internal hosts and addresses ("Error
 *   occurred while trying to proxy: llama.corp.internal:8000 (10.0.3.7)"), which are the
 *   operator's: the client reads the status, the operator's log an excerpt. A 4xx page (a body
 *   too large for the proxy, say) concerns the client's request and stays in its message.
 */
export function foreignErrorBody(status: number, text: string): ForeignErrorBody {
  const ownMessage = jsonMessageOf(text);
  if (ownMessage !== null) return { message: `The upstream provider answered ${status}: ${ownMessage.slice(0, MAX_EXCERPT_CHARS)}`, logDetail: null };
  const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, MAX_EXCERPT_CHARS);
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
