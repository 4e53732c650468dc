import { chatBilledByTokens, costedChatBody, responsesBilledByTokens } from './token-billing';

const hi = { role: 'user', content: 'Hi' };

describe('chatBilledByTokens', () => {
  it('holds for chats whose whole prompt is in the body: text, inline files and documents, images, function tools', () => {
    for (const body of [
      { model: 'gpt-4o-mini', messages: [hi] },
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } }] }] },
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] },
      { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }] }] },
      { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } }] }] },
      { model: 'gpt-4o-mini', messages: [hi], tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] },
      { model: 'claude-sonnet-4-5', messages: [hi], tools: [{ name: 'f', input_schema: { type: 'object' } }, { type: 'bash_20250124', name: 'bash' }, { type: 'text_editor_20250124', name: 'str_replace_editor' }] },
      { model: 'claude-sonnet-4-5', messages: [hi], mcp_servers: [] },
    ]) {
      expect([body, chatBilledByTokens(body)]).toEqual([body, true]);
    }
  });

  it('fails for files stored at the provider, documents by URL, search and server tools, MCP servers and containers', () => {
    for (const body of [
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc' } }] }] },
      { model: 'gpt-4o-mini-search-preview', messages: [hi], web_search_options: {} },
      { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } }] }] },
      { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: 'file_011' } }] }] },
      { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'container_upload', file_id: 'file_011' }] }] },
      { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } }] }] }] },
      { model: 'claude-sonnet-4-5', messages: [hi], tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }] },
      { model: 'claude-sonnet-4-5', messages: [hi], tools: [{ type: 'code_execution_20250522', name: 'code_execution' }] },
      { model: 'claude-sonnet-4-5', messages: [hi], tools: [{ type: 'web_fetch_20250910', name: 'web_fetch' }] },
      { model: 'claude-sonnet-4-5', messages: [hi], mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'x' }] },
      { model: 'claude-sonnet-4-5', messages: [hi], container: 'container_011' },
    ]) {
      expect([body, chatBilledByTokens(body)]).toEqual([body, false]);
    }
  });

  it('reads malformed bodies without throwing (validation answers them)', () => {
    for (const body of [null, {}, { messages: 'x' }, { messages: [null, 1, { content: [null, 'x', { type: 'file', file: null }] }] }, { tools: [null, 'x', { type: 5 }] }]) {
      expect(chatBilledByTokens(body as Record<string, unknown> | null)).toBe(true);
    }
  });
});

describe('responsesBilledByTokens', () => {
  it('holds for input and function tools only; fails for built-in tools, stored prompts, earlier turns, files by reference and background runs', () => {
    expect(responsesBilledByTokens({ model: 'gpt-4o-mini', input: 'hi', tools: [{ type: 'function', name: 'f' }] })).toBe(true);
    for (const extra of [
      { tools: [{ type: 'web_search' }] },
      { prompt: { id: 'pmpt_1' } },
      { previous_response_id: 'resp_1' },
      { conversation: 'conv_1' },
      { background: true },
      { input: [{ type: 'item_reference', id: 'msg_1' }] },
      { input: [{ role: 'user', content: [{ type: 'input_file', file_url: 'https://example.com/a.pdf' }] }] },
    ]) {
      expect([extra, responsesBilledByTokens({ model: 'gpt-4o-mini', input: 'hi', ...extra })]).toEqual([extra, false]);
    }
    expect(responsesBilledByTokens(null)).toBe(false);
  });
});

describe('costedChatBody', () => {
  it("drops the output limits no chat or completions provider reads, and keeps the body otherwise", () => {
    const body = { model: 'm', messages: [], max_tokens: 5, max_output_tokens: 1, max_tokens_to_sample: 1, generationConfig: { maxOutputTokens: 1 }, generation_config: {} };
    expect(costedChatBody(body)).toEqual({ model: 'm', messages: [], max_tokens: 5 });
    expect(body.max_output_tokens).toBe(1);
    const plain = { model: 'm', messages: [], max_completion_tokens: 3 };
    expect(costedChatBody(plain)).toBe(plain);
  });
});
