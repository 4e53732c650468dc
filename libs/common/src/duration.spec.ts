import { TTL_PATTERN, parseDurationSeconds } from './duration';

describe('parseDurationSeconds', () => {
  it('reads single, compound and fractional durations, as Go writes them, plus days', () => {
    expect(parseDurationSeconds('30s')).toBe(30);
    expect(parseDurationSeconds('15m')).toBe(900);
    expect(parseDurationSeconds('1.5h')).toBe(5_400);
    expect(parseDurationSeconds('1h30m')).toBe(5_400);
    expect(parseDurationSeconds('2d')).toBe(172_800);
    expect(parseDurationSeconds(' 24h ')).toBe(86_400);
    // Exact, not floating point: 2.01 * 3600 is 7235.999... as a double.
    expect(parseDurationSeconds('2.01h')).toBe(7_236);
    expect(parseDurationSeconds('4.1m')).toBe(246);
    // Parts are summed exactly, then rounded down once.
    expect(parseDurationSeconds('1.5s1.5s')).toBe(3);
    expect(parseDurationSeconds('0.5s0.5s')).toBe(1);
    expect(parseDurationSeconds('0.5m0.25s0.75s')).toBe(31);
  });

  it('refuses what is not a duration, or is under a second', () => {
    for (const text of ['', 'forever', '1.5', '1.h', '.5h', '1w', '-1h', '0s', '0.4s', '1h 30m']) {
      expect([text, parseDurationSeconds(text)]).toEqual([text, null]);
    }
  });

  it('agrees with the pattern the admin DTOs check', () => {
    for (const text of ['30s', '1.5h', '1h30m', '2d', 'forever', '1.5']) {
      expect([text, TTL_PATTERN.test(text)]).toEqual([text, parseDurationSeconds(text) !== null]);
    }
  });
});
