import { GatewayError } from '@tollgate/common';
import { fixture } from './__fixtures__/fixtures';
import { fromGeminiEmbeddingsResponse, toGeminiEmbeddingsRequest } from './gemini-embeddings';

describe('Gemini embeddings', () => {
  it('sends one batchEmbedContents request per input, with the URL model and dimensions', () => {
    expect(toGeminiEmbeddingsRequest({ input: ['first', 'second'], dimensions: 768 }, 'gemini-embedding-001')).toEqual({
      requests: [
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'first' }] }, outputDimensionality: 768 },
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'second' }] }, outputDimensionality: 768 },
      ],
    });
    expect(toGeminiEmbeddingsRequest({ input: 'only' }, 'text-embedding-004')).toEqual({
      requests: [{ model: 'models/text-embedding-004', content: { parts: [{ text: 'only' }] } }],
    });
  });

  it.each([[[1, 2, 3]], [[]], [undefined]])('refuses input %j', (input) => {
    expect(() => toGeminiEmbeddingsRequest({ input }, 'm')).toThrow(GatewayError);
  });

  it("takes up to 100 inputs, Gemini's batch limit, and refuses more with a message that says so", () => {
    const texts = (count: number) => Array.from({ length: count }, (_, i) => `text ${i}`);
    expect(toGeminiEmbeddingsRequest({ input: texts(100) }, 'm').requests).toHaveLength(100);
    expect(() => toGeminiEmbeddingsRequest({ input: texts(101) }, 'm')).toThrow(expect.objectContaining({ code: 'invalid_request_error', param: 'input', message: expect.stringContaining('at most 100 inputs') }));
  });

  it('returns OpenAI float embeddings and no usage, so the gateway estimates it', () => {
    expect(fromGeminiEmbeddingsResponse(fixture('embeddings-response.gemini.json'), 'gemini-embedding-001')).toEqual({
      body: {
        object: 'list',
        data: [
          { object: 'embedding', index: 0, embedding: [0.5, -0.25, 0.125] },
          { object: 'embedding', index: 1, embedding: [1, 0, -1] },
        ],
        model: 'gemini-embedding-001',
        usage: { prompt_tokens: 0, total_tokens: 0 },
      },
      usage: null,
      model: null,
      completionText: '',
    });
  });

  it('encodes base64 as little-endian float32, as the OpenAI SDK decodes it', () => {
    const { body } = fromGeminiEmbeddingsResponse(fixture('embeddings-response.gemini.json'), 'm', 'base64');
    const encoded = (body as { data: Array<{ embedding: string }> }).data.map((item) => item.embedding);
    expect(encoded).toEqual([
      Buffer.from(new Float32Array([0.5, -0.25, 0.125]).buffer).toString('base64'),
      Buffer.from(new Float32Array([1, 0, -1]).buffer).toString('base64'),
    ]);
  });
});
