import { LogThrottle } from './log-throttle';

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
