/**
 * Canonical form of a request path for allow-list matching, so "/V1//chat%2Fcompletions/" and
 * "/v1/chat/completions" are one path: percent-decoded (encoded slashes included), repeated
 * slashes collapsed, trailing slash and query dropped, lower-cased.
 */
export function normalizePath(rawPath: string): string {
  let path = rawPath.split('?')[0];
  try {
    path = decodeURIComponent(path);
  } catch {
    // Malformed escapes are matched as written.
  }
  path = path.replace(/\\/g, '/').replace(/\/{2,}/g, '/');
  if (path.length > 1) path = path.replace(/\/+$/, '');
  return path.toLowerCase();
}
