import { GatewayError } from '@tollgate/common';
import { ChatCall } from '../provider-adapter';
import text from './__fixtures__/response-text.json';
import toolOnly from './__fixtures__/response-tool-only.json';
import toolUse from './__fixtures__/response-tool-use.json';
import { fromAnthropicResponse } from './anthropic-response';

const call: ChatCall = { body: { model: 'claude-sonnet-4-5', messages: [] }, model: 'claude-sonnet-4-5', stream: false };

describe('fromAnthropicResponse', () => {
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(1_763_769_600_000));
  afterEach(() => jest.restoreAllMocks());

  it.each([text, toolUse, toolOnly])('$description', (fixture) => {
    const translated = fromAnthropicResponse(Buffer.from(JSON.stringify(fixture.raw)), call);
    expect(translated).toStrictEqual(fixture.expected);
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['a_reason_added_later', 'stop'],
  ])('maps stop_reason %s to finish_reason %s', (stopReason, finishReason) => {
    const raw = { ...text.raw, stop_reason: stopReason };
    const body = fromAnthropicResponse(Buffer.from(JSON.stringify(raw)), call).body as { choices: Array<{ finish_reason: string }> };
    expect(body.choices[0].finish_reason).toBe(finishReason);
  });

  it('fails as a bad upstream (502) when the body is not a Message', () => {
    expect(() => fromAnthropicResponse(Buffer.from('<html>oops</html>'), call)).toThrow(GatewayError);
    expect(() => fromAnthropicResponse(Buffer.from('{"type":"message"}'), call)).toThrow(expect.objectContaining({ status: 502 }));
  });

  it('in JSON mode, answers with the forced tool\'s input as the content: no tool call, finish_reason stop', () => {
    const jsonCall: ChatCall = { ...call, body: { ...call.body, response_format: { type: 'json_schema', json_schema: { name: 'person', schema: { type: 'object', properties: { name: { type: 'string' } } } } } } };
    const raw = { ...toolOnly.raw, content: [{ type: 'tool_use', id: 'toolu_1', name: 'json_response', input: { name: 'Ada' } }], stop_reason: 'tool_use' };
    const translated = fromAnthropicResponse(Buffer.from(JSON.stringify(raw)), jsonCall);
    const choice = (translated.body as { choices: Array<{ message: { content: string; tool_calls?: unknown }; finish_reason: string }> }).choices[0];
    expect(JSON.parse(choice.message.content)).toEqual({ name: 'Ada' });
    expect(choice.message.tool_calls).toBeUndefined();
    expect(choice.finish_reason).toBe('stop');
    expect(translated.completionText).toBe('{"name":"Ada"}');
    // Cut by max_tokens, it still says so.
    const cut = fromAnthropicResponse(Buffer.from(JSON.stringify({ ...raw, stop_reason: 'max_tokens' })), jsonCall).body as { choices: Array<{ finish_reason: string }> };
    expect(cut.choices[0].finish_reason).toBe('length');
  });
});
