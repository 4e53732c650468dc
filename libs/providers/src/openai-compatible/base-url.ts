/** Appends the API's version prefix unless the configured URL already ends with it. */
export function withVersionPrefix(url: string, prefix: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith(prefix) ? trimmed : `${trimmed}${prefix}`;
}
