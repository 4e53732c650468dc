/** Shared by the adapters' model-list translators (GET requests carry no body headers). */

/** The string `field` of each entry of the JSON list under `list` ([] for anything unreadable). */
export function idsOf(raw: Buffer, list: string, field: string): string[] {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as Record<string, unknown> | null;
    const entries = parsed && Array.isArray(parsed[list]) ? (parsed[list] as Array<Record<string, unknown> | null>) : [];
    return entries.map((entry) => entry?.[field]).filter((id): id is string => typeof id === 'string' && id !== '');
  } catch {
    return [];
  }
}

/** Request headers for a bodiless GET: the same ones, minus content-type. */
export function withoutContentType(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-type'));
}
