import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatCall } from '../provider-adapter';
import { SseSplitter } from '../sse/sse-splitter';
import errorExpected from './__fixtures__/stream-error.expected.json';
import toolUseExpected from './__fixtures__/stream-tool-use.expected.json';
import { AnthropicStreamTranslator } from './anthropic-stream';

const recorded = (name: string) => readFileSync(join(__dirname, '__fixtures__', name));
const call: ChatCall = { body: { model: 'claude-sonnet-4-5', stream: true, messages: [] }, model: 'claude-sonnet-4-5', stream: true };

type Frame = Record<string, unknown> | string;
const serialize = (frames: Frame[]) => frames.map((f) => `data: ${f === '[DONE]' ? f : JSON.stringify(f)}\n\n`).join('');
/** The data frames, as an SSE client reads them: comments (the keep-alives) are skipped. */
const parseFrames = (text: string): Frame[] =>
  text
    .split('\n\n')
    .filter((frame) => frame !== '' && !frame.startsWith(':'))
    .map((frame) => {
      expect(frame.startsWith('data: ')).toBe(true);
      const data = frame.slice('data: '.length);
      return data === '[DONE]' ? data : (JSON.parse(data) as Record<string, unknown>);
    });
/** The text without its SSE comments, which every client skips. */
const withoutComments = (text: string) =>
  text
    .split('\n\n')
    .filter((frame) => frame !== '' && !frame.startsWith(':'))
    .map((frame) => `${frame}\n\n`)
    .join('');
const count = (text: string, part: string) => text.split(part).length - 1;
const isUsageFrame = (frame: Frame) => typeof frame !== 'string' && Array.isArray(frame.choices) && frame.choices.length === 0;

/** Feeds the bytes cut at `cuts` through the splitter and the translator, as the relay would. */
function translate(bytes: Buffer, cuts: number[], clientWantsUsage: boolean): { text: string; translator: AnthropicStreamTranslator } {
  const splitter = new SseSplitter();
  const translator = new AnthropicStreamTranslator(call, clientWantsUsage);
  let text = '';
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    for (const event of splitter.push(bytes.subarray(start, cut))) text += translator.push(event);
    start = cut;
  }
  const tail = splitter.flush();
  if (tail !== null) text += translator.push(tail);
  return { text: text + translator.end(), translator };
}

const everyN = (length: number, n: number) => Array.from({ length: Math.floor((length - 1) / n) }, (_, i) => (i + 1) * n);

/** Deterministic pseudo-random cut points (mulberry32), so a failure reproduces. */
function randomCuts(length: number, seed: number): number[] {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const cuts = Array.from({ length: 1 + Math.floor(next() * 40) }, () => Math.floor(next() * length));
  return [...new Set(cuts)].sort((a, b) => a - b);
}

describe('AnthropicStreamTranslator', () => {
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(1_763_769_600_000));
  afterEach(() => jest.restoreAllMocks());

  const bytes = recorded('stream-tool-use.sse');
  const withUsage = toolUseExpected.frames as Frame[];
  // Without include_usage there is no usage frame, and the other frames carry no usage field (OpenAI's null is for clients that asked).
  const withoutUsage = withUsage.filter((frame) => !isUsageFrame(frame)).map((frame) => (typeof frame === 'string' ? frame : Object.fromEntries(Object.entries(frame).filter(([name]) => name !== 'usage'))));
  const splits: Array<[string, number[]]> = [
    ['whole', []],
    ...[1, 2, 3, 5, 7, 13, 64, 1000].map((n): [string, number[]] => [`every ${n} bytes`, everyN(bytes.length, n)]),
    ...Array.from({ length: 25 }, (_, seed): [string, number[]] => [`random cuts #${seed}`, randomCuts(bytes.length, seed + 1)]),
  ];

  it.each(splits)('emits the exact OpenAI chunk sequence with usage (%s)', (_name, cuts) => {
    const { text } = translate(bytes, cuts, true);
    expect(parseFrames(text)).toStrictEqual(withUsage);
    expect(withoutComments(text)).toBe(serialize(withUsage));
    // Each of Anthropic's pings became a comment.
    expect(count(text, ': keep-alive\n\n')).toBe(count(bytes.toString('utf8'), 'event: ping'));
  });

  it.each(splits)('leaves the usage chunk out when the client did not ask (%s)', (_name, cuts) => {
    expect(withoutComments(translate(bytes, cuts, false).text)).toBe(serialize(withoutUsage));
  });

  it('numbers tool calls by tool, not by content block, and their fragments assemble to the input', () => {
    const args = new Map<number, { name: string; json: string }>();
    for (const frame of parseFrames(translate(bytes, everyN(bytes.length, 3), false).text)) {
      if (typeof frame === 'string') continue;
      const choices = frame.choices as Array<{ delta: { tool_calls?: Array<{ index: number; function: { name?: string; arguments: string } }> } }>;
      for (const call of choices[0]?.delta.tool_calls ?? []) {
        const entry = args.get(call.index) ?? { name: '', json: '' };
        args.set(call.index, { name: call.function.name ?? entry.name, json: entry.json + call.function.arguments });
      }
    }
    expect([...args.entries()].map(([index, { name, json }]) => [index, name, JSON.parse(json)])).toStrictEqual([
      [0, 'get_weather', { city: 'Zürich', unit: 'celsius' }],
      [1, 'get_time', { tz: 'Europe/Zurich' }],
    ]);
  });

  it('captures usage (cache reads counted as prompt), model and text', () => {
    const { translator } = translate(bytes, [], false);
    expect(translator.usage).toStrictEqual({ promptTokens: 572, completionTokens: 89, cacheReadTokens: 100 });
    expect(translator.model).toBe('claude-sonnet-4-5-20250929');
    // What the model generated, tool arguments included: counted when no final usage comes.
    expect(translator.completionText).toBe('Checking the weather in Zürich… {"city": "Zürich", "unit": "celsius"}{"tz": "Europe/Zurich"}');
    expect(translator.usageFinal).toBe(true);
    expect(translator.errorCode).toBeNull();
  });

  it('reads CRLF-delimited events the same way', () => {
    const crlf = Buffer.from(bytes.toString('utf8').replace(/\n/g, '\r\n'));
    expect(withoutComments(translate(crlf, everyN(crlf.length, 11), true).text)).toBe(serialize(withUsage));
  });

  it('turns an in-stream error into an OpenAI error frame and sends no [DONE] after it', () => {
    const errorBytes = recorded('stream-error.sse');
    const { text, translator } = translate(errorBytes, everyN(errorBytes.length, 4), true);
    expect(parseFrames(text)).toStrictEqual(errorExpected.frames);
    expect(translator.errorCode).toBe('overloaded_error');
    // message_start's placeholder output count: not final, so the text is counted instead.
    expect(translator.usage).toStrictEqual({ promptTokens: 12, completionTokens: 1 });
    expect(translator.usageFinal).toBe(false);
    expect(translator.completionText).toBe('Hel');
  });

  it('gives a tool call without arguments "{}" when its block ends, as OpenAI does', () => {
    const translator = new AnthropicStreamTranslator(call, false);
    const events = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-x","usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_time","input":{}}}\n\n',
      'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_2","name":"get_weather","input":{}}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\":\\"Paris\\"}"}}\n\n',
      'event: content_block_stop\ndata: {"type":"content_block_stop","index":1}\n\n',
    ];
    const frames = events.map((event) => translator.push(event)).join('').split('\n\n').filter(Boolean).map((frame) => JSON.parse(frame.slice('data: '.length)));
    const args = (index: number) =>
      frames.flatMap((frame) => frame.choices[0].delta.tool_calls ?? []).filter((c: { index: number }) => c.index === index).map((c: { function: { arguments?: string } }) => c.function.arguments ?? '').join('');
    expect(args(0)).toBe('{}');
    expect(args(1)).toBe('{"city":"Paris"}');
  });

  it('counts thinking it does not relay, and its usage is not final before message_delta', () => {
    const translator = new AnthropicStreamTranslator(call, false);
    translator.push('event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-x","usage":{"input_tokens":3,"output_tokens":1}}}\n\n');
    // Not relayed: a comment keeps the stream audibly alive while the model thinks.
    expect(translator.push('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Hmm, weather."}}\n\n')).toBe(': keep-alive\n\n');
    expect(translator.completionText).toBe('Hmm, weather.');
    expect(translator.usageFinal).toBe(false);
  });

  it('fails a stream that ended without message_stop (an incomplete answer), never with a [DONE]', () => {
    const translator = new AnthropicStreamTranslator(call, true);
    translator.push('event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-x","usage":{"input_tokens":3,"output_tokens":1}}}\n\n');
    translator.push('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\n');
    expect(translator.done).toBe(false);
    expect(() => translator.end()).toThrow(expect.objectContaining({ code: 'upstream_unreachable', message: expect.stringContaining('before the answer was complete') }));
    expect(translator.end()).toBe('');
    expect(translator.push('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe('');
  });

  it('is done at message_stop (the relay stops reading then) and at an error event; end() adds nothing', () => {
    const translator = new AnthropicStreamTranslator(call, false);
    expect(translator.push('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe('data: [DONE]\n\n');
    expect(translator.done).toBe(true);
    expect(translator.end()).toBe('');
    const failing = new AnthropicStreamTranslator(call, false);
    failing.push('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
    expect(failing.done).toBe(true);
    expect(failing.end()).toBe('');
  });

  it('turns pings into SSE comments (the client hears from a thinking model); drops comments, unknown event types and unparseable data', () => {
    const translator = new AnthropicStreamTranslator(call, false);
    expect(translator.push('event: ping\ndata: {"type": "ping"}\n\n')).toBe(': keep-alive\n\n');
    expect(translator.push(': keep-alive\n\n')).toBe('');
    expect(translator.push('event: future_event\ndata: {"type":"future_event","x":1}\n\n')).toBe('');
    expect(translator.push('data: not json\n\n')).toBe('');
    expect(translator.usage).toBeNull();
    expect(translator.model).toBe('claude-sonnet-4-5');
  });

  it('keeps the input count when message_delta repeats usage with input counts', () => {
    const translator = new AnthropicStreamTranslator(call, false);
    translator.push('data: {"type":"message_start","message":{"id":"msg_2","model":"m","usage":{"input_tokens":10,"cache_creation_input_tokens":5,"output_tokens":1}}}\n\n');
    translator.push('data: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"input_tokens":10,"cache_read_input_tokens":null,"output_tokens":42}}\n\n');
    expect(translator.usage).toStrictEqual({ promptTokens: 15, completionTokens: 42, cacheWriteTokens: 5 });
  });

  it('in JSON mode, streams the forced tool\'s input as content deltas and ends with finish_reason stop', () => {
    const jsonCall: ChatCall = { ...call, body: { ...call.body, response_format: { type: 'json_object' } } };
    const translator = new AnthropicStreamTranslator(jsonCall, false);
    const event = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const out = [
      event('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, usage: { input_tokens: 10, output_tokens: 1 } } }),
      event('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'json_response', input: {} } }),
      event('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"name":' } }),
      event('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: ' "Ada"}' } }),
      event('content_block_stop', { index: 0 }),
      event('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }),
      event('message_stop', {}),
    ]
      .map((e) => translator.push(e))
      .join('');
    const frames = parseFrames(out).filter((frame): frame is Record<string, unknown> => typeof frame !== 'string');
    const deltas = frames.map((frame) => (frame.choices as Array<{ delta: { content?: string; tool_calls?: unknown }; finish_reason: string | null }>)[0]);
    expect(deltas.map((d) => d.delta.content ?? '').join('')).toBe('{"name": "Ada"}');
    expect(deltas.some((d) => d.delta.tool_calls !== undefined)).toBe(false);
    expect(deltas[deltas.length - 1].finish_reason).toBe('stop');
    expect(translator.completionText).toBe('{"name": "Ada"}');
  });

  it('in JSON mode, relays only the first forced-tool call: text around it and a second call are counted, not relayed', () => {
    const jsonCall: ChatCall = { ...call, body: { ...call.body, response_format: { type: 'json_object' } } };
    const translator = new AnthropicStreamTranslator(jsonCall, false);
    const event = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const out = [
      event('message_start', { message: { id: 'msg_2', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, usage: { input_tokens: 10, output_tokens: 1 } } }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Here it is:' } }),
      event('content_block_stop', { index: 0 }),
      event('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'json_response', input: {} } }),
      event('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"name":"Ada"}' } }),
      event('content_block_stop', { index: 1 }),
      event('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_2', name: 'json_response', input: {} } }),
      event('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"name":"Lovelace"}' } }),
      event('content_block_stop', { index: 2 }),
      event('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 20 } }),
      event('message_stop', {}),
    ]
      .map((e) => translator.push(e))
      .join('');
    const frames = parseFrames(out).filter((frame): frame is Record<string, unknown> => typeof frame !== 'string');
    const content = frames.map((frame) => (frame.choices as Array<{ delta: { content?: string } }>)[0]?.delta.content ?? '').join('');
    expect(JSON.parse(content)).toEqual({ name: 'Ada' });
    expect(translator.completionText).toBe('Here it is:{"name":"Ada"}{"name":"Lovelace"}');
  });
});
