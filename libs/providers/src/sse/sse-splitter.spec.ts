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
