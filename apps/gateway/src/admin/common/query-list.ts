/** A list from a query string, sent as repeated params (`?ids=a&ids=b`) or comma-separated (`?ids=a,b`). */
export function splitQueryList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return ([] as string[]).concat(value).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}
