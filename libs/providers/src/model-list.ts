/** A model in a provider's list: its id as the unified API routes it, and when it was created (Unix seconds) if the list says. */
export interface ListedModel {
  id: string;
  created: number | null;
}

/** The models of a provider's JSON list (`list` holds the entries), each read by `read`; none when the list is not JSON. */
export function modelsOf(raw: Buffer, list: string, read: (entry: Record<string, unknown>) => ListedModel | null): ListedModel[] {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as Record<string, unknown> | null;
    const entries = parsed && Array.isArray(parsed[list]) ? (parsed[list] as unknown[]) : [];
    return entries.flatMap((entry) => {
      const model = entry !== null && typeof entry === 'object' ? read(entry as Record<string, unknown>) : null;
      return model && model.id !== '' ? [model] : [];
    });
  } catch {
    return [];
  }
}

/** A time in Unix seconds, as OpenAI's lists give it (`created`), or null when it is not one. */
export function unixSeconds(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** An RFC 3339 time (Anthropic's `created_at`) in Unix seconds, or null when it is not one. */
export function unixSecondsOfTimestamp(value: unknown): number | null {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) && ms >= 0 ? Math.floor(ms / 1000) : null;
}

/** Request headers for a bodiless GET: the same ones, minus content-type. */
export function withoutContentType(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-type'));
}
