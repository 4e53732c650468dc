/** Escapes LIKE's wildcards (and its escape character) for a substring match with `ESCAPE '\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
