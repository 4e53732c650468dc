import { KeyedLogThrottle, LogThrottle } from './log-throttle';

describe('LogThrottle', () => {
  afterEach(() => jest.useRealTimers());

  it('logs the first occurrence at once, then once per interval with the occurrences it stands for', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const throttle = new LogThrottle(10_000);
    const lines: number[] = [];
    const note = () => throttle.note((occurrences) => lines.push(occurrences));
    note();
    for (let i = 0; i < 999; i++) note();
    expect(lines).toEqual([1]);
    jest.advanceTimersByTime(10_000);
    note();
    // The 999 held back, and this one.
    expect(lines).toEqual([1, 1_000]);
    jest.advanceTimersByTime(60_000);
    note();
    expect(lines).toEqual([1, 1_000, 1]);
  });
});

describe('KeyedLogThrottle', () => {
  it('throttles each key on its own: one key\'s storm hides no other key\'s first line', () => {
    const lines: string[] = [];
    const throttles = new KeyedLogThrottle();
    for (let i = 0; i < 5; i++) throttles.note('a', (occurrences) => lines.push(`a:${occurrences}`));
    throttles.note('b', (occurrences) => lines.push(`b:${occurrences}`));
    expect(lines).toEqual(['a:1', 'b:1']);
  });
});
