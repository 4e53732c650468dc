import { isSnapshotOf } from './model-prices.service';

describe('isSnapshotOf (which overridden names a request for a model may be answered and priced under)', () => {
  it.each([
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-4-0613', 'gpt-4'],
    ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet-latest'],
    ['claude-3-5-sonnet@20241022', 'claude-3-5-sonnet'],
    ['gemini-1.5-flash-002', 'gemini-1.5-flash'],
  ])('%s is a snapshot of %s', (name, model) => {
    expect(isSnapshotOf(name, model)).toBe(true);
  });

  it.each([
    ['o1-pro', 'o1'],
    ['gpt-4o-mini', 'gpt-4o'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o'],
    ['gpt-4o-mini', 'gpt-4o-mini'],
    ['gpt-4o-audio-preview-2024-12-17', 'gpt-4o'],
    ['gpt-4o-2024-08-06-ft', 'gpt-4o'],
  ])('%s is not a snapshot of %s', (name, model) => {
    expect(isSnapshotOf(name, model)).toBe(false);
  });
});
