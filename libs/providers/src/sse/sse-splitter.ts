import { GatewayError, GatewayErrorCode } from '@tollgate/common';
/**
 * An event no legitimate stream comes near (a Responses API event carrying a generated image is
 * a few MB): past this, an upstream that never ends its event is failed, not buffered until the
 * total timeout.
 */
export const MAX_SSE_EVENT_CHARS = 64 * 1024 * 1024;

/**
 * Splits a byte stream into complete Server-Sent Events, keeping each event's original bytes
 * so a relay can forward it verbatim. Events end at a blank line (lines end in LF, CRLF or CR).
 *
 * An event still incomplete is kept as a list of pieces, and each new piece is searched alone
 * (with the last 3 characters before it, where a blank line may have begun): searching and
 * re-joining the whole buffer on every chunk made a large event quadratic, and a 16 MB event
 * held the event loop for seconds.
 */
export class SseSplitter {
  private pending: string[] = [];
  private pendingChars = 0;
  /** The last characters of the pending text, which a blank line may continue. */
  private tail = '';
  private readonly decoder = new TextDecoder();
  /** No LF seen yet: the stream may end its lines in CR alone. */
  private crOnly = true;

  /** Feeds bytes, returns the events completed by them (raw text, terminator included). */
  push(chunk: Uint8Array): string[] {
    const text = this.decoder.decode(chunk, { stream: true });
    if (text === '') return [];
    if (this.crOnly && text.includes('\n')) this.crOnly = false;
    const probe = this.tail + text;
    const first = findBoundary(probe, 0, this.crOnly);
    if (first === null) {
      this.pending.push(text);
      this.pendingChars += text.length;
      this.tail = probe.slice(-BOUNDARY_OVERLAP);
      if (this.pendingChars > MAX_SSE_EVENT_CHARS) {
        throw new GatewayError(GatewayErrorCode.UpstreamUnreachable, `the upstream provider sent an event of more than ${MAX_SSE_EVENT_CHARS} characters`);
      }
      return [];
    }
    const buffer = this.pending.length === 0 ? text : this.pending.join('') + text;
    const events: string[] = [];
    let start = 0;
    let boundary: number | null = buffer.length - probe.length + first;
    while (boundary !== null) {
      events.push(buffer.slice(start, boundary));
      start = boundary;
      boundary = findBoundary(buffer, start, this.crOnly);
    }
    const rest = buffer.slice(start);
    this.pending = rest === '' ? [] : [rest];
    this.pendingChars = rest.length;
    this.tail = rest.slice(-BOUNDARY_OVERLAP);
    return events;
  }

  /** Whatever is left when the stream ends without a final blank line. */
  flush(): string | null {
    const rest = this.pending.join('') + this.decoder.decode();
    this.pending = [];
    this.pendingChars = 0;
    this.tail = '';
    return rest.trim() === '' ? null : rest;
  }
}

/** Characters of a blank line ("\r\n\r\n") that may already be held when its last one arrives. */
const BOUNDARY_OVERLAP = 3;

/**
 * Two line ends in a row: an empty line, which ends an event. A line ends in CRLF, LF or a CR
 * alone (the SSE spec allows all three, and mixed); a CR followed by LF is one line end, so a CR
 * counts alone only once the character after it has arrived.
 */
const BLANK_LINE = /(?:\r\n|\r(?=[^\n])|\n)(?:\r\n|\r(?=[^\n])|\n)/g;
/**
 * The same for a stream that has sent no LF: its lines end in CR alone, so a CR that ends the
 * text ends a line (else a CR-only stream's last event would wait for bytes that never come).
 */
const BLANK_LINE_CR_ONLY = /(?:\r\n|\r(?=[^\n])|\n)(?:\r\n|\r|\n)/g;

function findBoundary(text: string, from: number, crOnly = false): number | null {
  // Most streams end their lines in LF alone: a plain search.
  if (text.indexOf('\r', from) === -1) {
    const lf = text.indexOf('\n\n', from);
    return lf === -1 ? null : lf + 2;
  }
  const blankLine = crOnly ? BLANK_LINE_CR_ONLY : BLANK_LINE;
  blankLine.lastIndex = from;
  const match = blankLine.exec(text);
  return match === null ? null : match.index + match[0].length;
}

/** The joined `data:` lines of one event, or null for comments and data-less events. */
export function sseData(event: string): string | null {
  let data: string | null = null;
  for (const line of event.split(/\r\n|\r|\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.slice(line.startsWith('data: ') ? 6 : 5);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}
