import { KeyedLogThrottle, LogThrottle, NamingLogThrottle } from './log-throttle';

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

describe('NamingLogThrottle', () => {
  afterEach(() => jest.useRealTimers());

  it('logs the first at once, then what the interval held back when it ends, by name up to its bound', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const lines: Array<{ details: string[]; occurrences: number }> = [];
    const throttle = new NamingLogThrottle<string>((details, occurrences) => lines.push({ details, occurrences }), 10_000, 3);
    throttle.note('a', 'a:1');
    for (const [name, detail] of [['b', 'b:1'], ['b', 'b:2'], ['c', 'c:1'], ['d', 'd:1'], ['e', 'e:1']]) throttle.note(name, detail);
    expect(lines).toEqual([{ details: ['a:1'], occurrences: 1 }]);
    // No further occurrence: the held-back ones are logged when the interval ends (b by its latest, e counted only).
    jest.advanceTimersByTime(10_000);
    expect(lines[1]).toEqual({ details: ['b:2', 'c:1', 'd:1'], occurrences: 5 });
    jest.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(2);
    throttle.note('f', 'f:1');
    expect(lines[2]).toEqual({ details: ['f:1'], occurrences: 1 });
  });

  it('logs what the interval holds back when closed, and every later occurrence at once', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const lines: Array<{ details: string[]; occurrences: number }> = [];
    const throttle = new NamingLogThrottle<string>((details, occurrences) => lines.push({ details, occurrences }), 10_000);
    throttle.note('a', 'a:1');
    throttle.note('b', 'b:1');
    jest.advanceTimersByTime(1_000);
    // Shutdown inside the interval: b is logged now, not on a timer the process will not wait for.
    throttle.close();
    expect(lines).toEqual([{ details: ['a:1'], occurrences: 1 }, { details: ['b:1'], occurrences: 1 }]);
    // Work finishing after the close is logged as it comes.
    throttle.note('c', 'c:1');
    expect(lines[2]).toEqual({ details: ['c:1'], occurrences: 1 });
    expect(jest.getTimerCount()).toBe(0);
  });
});
