import { AnthropicAdapter } from './anthropic';
import { OpenAIAdapter } from './openai/openai.adapter';

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('provider model lists', () => {
  it("OpenAI's list keeps each model's created time, and only times that are Unix seconds", () => {
    const raw = json({
      object: 'list',
      data: [
        { id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' },
        { id: 'ft:gpt-4o-mini:acme', object: 'model', created: '1721172741', owned_by: 'org-acme' },
        { id: 'local-model', object: 'model', created: -1 },
        { id: 'vllm-model', object: 'model' },
        null,
        { object: 'model', created: 1 },
        { id: '', created: 1 },
      ],
    });
    expect(new OpenAIAdapter().fromModelsResponse(raw)).toEqual([
      { id: 'gpt-4o-mini', created: 1721172741 },
      { id: 'ft:gpt-4o-mini:acme', created: null },
      { id: 'local-model', created: null },
      { id: 'vllm-model', created: null },
    ]);
  });

  it("Anthropic's RFC 3339 created_at becomes Unix seconds", () => {
    const raw = json({
      data: [
        { type: 'model', id: 'claude-sonnet-4-5-20250929', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' },
        { type: 'model', id: 'claude-haiku-4-5-20251001', display_name: 'Claude Haiku 4.5', created_at: '2025-10-01T12:30:15.5+02:00' },
        { type: 'model', id: 'claude-undated', created_at: 'yesterday' },
      ],
      has_more: false,
    });
    expect(new AnthropicAdapter().fromModelsResponse(raw)).toEqual([
      { id: 'claude-sonnet-4-5-20250929', created: 1759104000 },
      { id: 'claude-haiku-4-5-20251001', created: 1759314615 },
      { id: 'claude-undated', created: null },
    ]);
  });

  it('a list that is not JSON, or has no list, names no model', () => {
    expect(new OpenAIAdapter().fromModelsResponse(Buffer.from('<html>bad gateway</html>'))).toEqual([]);
    expect(new OpenAIAdapter().fromModelsResponse(json({ data: 'none' }))).toEqual([]);
    expect(new AnthropicAdapter().fromModelsResponse(json(null))).toEqual([]);
  });
});
