import { encodeChat } from 'gpt-tokenizer';
import { chatFramingTokensOf, mediaTokensOf, promptEstimationInputOf, promptTextOf, structuredPromptOf, tokenIdCountOf } from './prompt-parts';
import { estimateTokens } from './token-estimator';

describe('prompt parts', () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

  it('takes the structured parts a model reads from their JSON: tools, system, earlier tool calls, Responses input items', () => {
    const body = {
      system: 'Answer in French.',
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
    };
    const structured = JSON.parse(structuredPromptOf(body)) as unknown[];
    expect(structured).toEqual(expect.arrayContaining([tools, 'Answer in French.', body.messages[1].tool_calls, 'call_1']));
    expect(JSON.parse(structuredPromptOf({ input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }] }))).toEqual([[{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }]]);
    expect(structuredPromptOf({ messages: [{ role: 'user', content: 'hi' }] })).toBe('');
    expect(structuredPromptOf(null)).toBe('');
  });

  it('counts media and token ids without the tokenizer, in chat messages and Responses input items', () => {
    const image = { type: 'image_url', image_url: { url: 'https://x/y.png' } };
    expect(mediaTokensOf({ messages: [{ role: 'user', content: [image, image] }] })).toBe(8_000);
    expect(mediaTokensOf({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] })).toBe(4_000);
    const audio = { type: 'input_audio', input_audio: { data: 'QUJD', format: 'wav' } };
    expect(mediaTokensOf({ messages: [{ role: 'user', content: [audio] }] })).toBe(Buffer.byteLength(JSON.stringify(audio)));
    expect(tokenIdCountOf({ prompt: [[1, 2, 3], [4]] })).toBe(4);
  });

  it('gives an estimate everything: the text, the structured parts after it, and the tokens counted otherwise', () => {
    const body = { messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] }], tools };
    // 4,000 for the image, 4 + 3 for the one message's framing.
    expect(promptEstimationInputOf(body)).toEqual({ prompt: `Hi\n${JSON.stringify([tools])}`, promptExtraTokens: 4_007 });
    expect(promptEstimationInputOf({ prompt: [1, 2, 3] })).toEqual({ prompt: '', promptExtraTokens: 3 });
  });

  it("counts a chat prompt as OpenAI does: its text plus each message's framing and the reply's priming", () => {
    const messages = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Tell me a story about a cat please' },
      { role: 'assistant', content: 'Once, a cat.' },
      { role: 'user', content: 'Longer.' },
    ];
    const estimate = messages.reduce((sum, message) => sum + estimateTokens(message.content), 0) + chatFramingTokensOf({ messages });
    // gpt-tokenizer's own chat encoding (o200k, as the estimator uses): the tokens OpenAI bills.
    expect(estimate).toBe(encodeChat(messages as Parameters<typeof encodeChat>[0], 'gpt-4o').length);
    expect(promptTextOf({ messages }).length).toBeGreaterThan(0);
    expect(chatFramingTokensOf({ prompt: 'x' })).toBe(0);
    expect(chatFramingTokensOf({ messages: [] })).toBe(0);
  });
});

describe("prompt parts of Anthropic's tool use", () => {
  it('reads tool results as text (one level down) and tool calls from their JSON', () => {
    const body = {
      messages: [
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'Let me search.' }, { type: 'tool_use', id: 'toolu_1', name: 'search', input: { query: 'weather' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'cloudy' }, { type: 'tool_result', content: 'not this deep' }] }] },
      ],
    };
    expect(promptEstimationInputOf(body).prompt).toBe(`Let me search.\nsunny\ncloudy\n${JSON.stringify([{ type: 'tool_use', id: 'toolu_1', name: 'search', input: { query: 'weather' } }])}`);
  });
});
