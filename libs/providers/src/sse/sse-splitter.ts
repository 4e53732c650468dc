/**
 * Splits a byte stream into complete Server-Sent Events, keeping each event's original bytes
 * so a relay can forward it verbatim. Events end at a blank line (LF LF or CRLF CRLF).
 */
export class SseSplitter {
  private buffer = '';
  private readonly decoder = new TextDecoder();

  /** Feeds bytes, returns the events completed by them (raw text, terminator included). */
  push(chunk: Uint8Array): string[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const events: string[] = [];
    let start = 0;
    for (;;) {
      const boundary = findBoundary(this.buffer, start);
      if (boundary === null) break;
      events.push(this.buffer.slice(start, boundary));
      start = boundary;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** Whatever is left when the stream ends without a final blank line. */
  flush(): string | null {
    const rest = this.buffer + this.decoder.decode();
    this.buffer = '';
    return rest.trim() === '' ? null : rest;
  }
}

function findBoundary(text: string, from: number): number | null {
  const lf = text.indexOf('\n\n', from);
  const crlf = text.indexOf('\r\n\r\n', from);
  if (lf === -1 && crlf === -1) return null;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return crlf + 4;
  return lf + 2;
}

/** The joined `data:` lines of one event, or null for comments and data-less events. */
export function sseData(event: string): string | null {
  let data: string | null = null;
  for (const line of event.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.slice(line.startsWith('data: ') ? 6 : 5);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}
