import { SseSplitter, sseData } from './sse-splitter';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('SseSplitter', () => {
  it('emits events only once their blank line arrives, across arbitrary chunk cuts', () => {
    const splitter = new SseSplitter();
    expect(splitter.push(bytes('data: {"a":'))).toEqual([]);
    expect(splitter.push(bytes('1}\n'))).toEqual([]);
    expect(splitter.push(bytes('\ndata: [DONE]\n\n'))).toEqual(['data: {"a":1}\n\n', 'data: [DONE]\n\n']);
  });

  it('handles CRLF framing and multi-byte characters split between chunks', () => {
    const splitter = new SseSplitter();
    const encoded = bytes('data: "é"\r\n\r\n');
    const cut = encoded.indexOf(0xc3) + 1;
    expect(splitter.push(encoded.slice(0, cut))).toEqual([]);
    expect(splitter.push(encoded.slice(cut))).toEqual(['data: "é"\r\n\r\n']);
  });

  it('returns the unterminated tail on flush', () => {
    const splitter = new SseSplitter();
    splitter.push(bytes('data: tail'));
    expect(splitter.flush()).toBe('data: tail');
    expect(splitter.flush()).toBeNull();
  });
});

describe('sseData', () => {
  it('joins data lines and ignores comments and other fields', () => {
    expect(sseData('event: x\ndata: a\ndata: b\n\n')).toBe('a\nb');
    expect(sseData(': keep-alive\n\n')).toBeNull();
    expect(sseData('data:[DONE]\n\n')).toBe('[DONE]');
  });
});

/** Feeds `stream` in chunks of 1 to 8 bytes (cutting characters and line ends): always the same events, nothing left over. */
function expectSplitAlikeInChunksOfAnySize(stream: string, expected: string[]): void {
  const encoded = bytes(stream);
  for (let size = 1; size <= 8; size++) {
    const splitter = new SseSplitter();
    const events: string[] = [];
    for (let at = 0; at < encoded.length; at += size) events.push(...splitter.push(encoded.slice(at, at + size)));
    expect([size, events]).toEqual([size, expected]);
    expect(splitter.flush()).toBeNull();
  }
}

describe('SseSplitter, events cut anywhere', () => {
  const stream = 'data: {"a":1}\n\n: ping\n\ndata: é😀\r\n\r\nevent: x\ndata: b\ndata: c\n\ndata: [DONE]\n\n';
  const expected = ['data: {"a":1}\n\n', ': ping\n\n', 'data: é😀\r\n\r\n', 'event: x\ndata: b\ndata: c\n\n', 'data: [DONE]\n\n'];

  it('finds every blank line whatever the chunk sizes, one that straddles chunks included', () => {
    expectSplitAlikeInChunksOfAnySize(stream, expected);
  });

  it('keeps a large event whole across many chunks, and what follows it', () => {
    const big = `data: "${'x'.repeat(1_000_000)}"\n\n`;
    const encoded = bytes(`${big}data: next\n\ndata: tail`);
    const splitter = new SseSplitter();
    const events: string[] = [];
    for (let at = 0; at < encoded.length; at += 4_096) events.push(...splitter.push(encoded.slice(at, at + 4_096)));
    expect(events).toEqual([big, 'data: next\n\n']);
    expect(splitter.flush()).toBe('data: tail');
  });

  it('fails an event that never ends past the cap instead of holding it', () => {
    const splitter = new SseSplitter();
    const piece = bytes(`data: ${'x'.repeat(1024 * 1024)}`);
    expect(() => {
      for (let i = 0; i < 70; i++) splitter.push(piece);
    }).toThrow(/more than/);
  });
});

describe('SseSplitter, line ends as the SSE spec allows them (LF, CRLF, CR alone, mixed)', () => {
  const stream = 'data: a\r\rdata: b\n\r\ndata: c\r\n\ndata: d\r\r\ndata: [DONE]\r\r: end\n\n';
  const expected = ['data: a\r\r', 'data: b\n\r\n', 'data: c\r\n\n', 'data: d\r\r\n', 'data: [DONE]\r\r', ': end\n\n'];

  it('ends an event at every kind of empty line, whatever the chunk sizes', () => {
    expectSplitAlikeInChunksOfAnySize(stream, expected);
  });

  it('reads the data of lines ended by a CR alone', () => {
    expect(expected.map(sseData)).toEqual(['a', 'b', 'c', 'd', '[DONE]', null]);
    expect(sseData('event: x\rdata: a\rdata: b\r\r')).toBe('a\nb');
  });

  it('ends an event at a CR that ends the text in a stream of CR-only lines; once it has sent an LF, waits for the next character', () => {
    const crOnly = new SseSplitter();
    expect(crOnly.push(bytes('data: a\r\r'))).toEqual(['data: a\r\r']);
    expect(crOnly.push(bytes('data: {"type":"message_stop"}\r\r'))).toEqual(['data: {"type":"message_stop"}\r\r']);
    expect(crOnly.flush()).toBeNull();
    const mixed = new SseSplitter();
    expect(mixed.push(bytes('data: a\r\n\r'))).toEqual([]);
    expect(mixed.push(bytes('\ndata: b\r\n\r\n'))).toEqual(['data: a\r\n\r\n', 'data: b\r\n\r\n']);
  });
});
