import { toOpenAIChatBody } from './openai-request';

describe('OpenAI request translation', () => {
  it('asks for stream usage without losing other stream_options or fields', () => {
    const prepared = toOpenAIChatBody({ model: 'm', stream: true, stream_options: { foo: 1 }, logit_bias: { 1: 2 } });
    expect(prepared.clientWantsUsage).toBe(false);
    expect(prepared.body).toEqual({ model: 'm', stream: true, stream_options: { foo: 1, include_usage: true }, logit_bias: { 1: 2 } });
    expect(toOpenAIChatBody({ model: 'm', stream: true, stream_options: { include_usage: true } }).clientWantsUsage).toBe(true);
    const plain = { model: 'm', messages: [] };
    expect(toOpenAIChatBody(plain).body).toBe(plain);
  });
});
