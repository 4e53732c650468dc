import { budgetPeriod, toNanoUsd } from './limit-windows';

describe('budget periods', () => {
  const at = Date.UTC(2026, 1, 28, 23, 59, 30, 500); // 2026-02-28T23:59:30.500Z

  it('aligns minute, hour and day periods to UTC boundaries', () => {
    expect(budgetPeriod('m', at)).toEqual({ start: Date.UTC(2026, 1, 28, 23, 59) / 1000, end: Date.UTC(2026, 2, 1) / 1000 });
    expect(budgetPeriod('h', at)).toEqual({ start: Date.UTC(2026, 1, 28, 23) / 1000, end: Date.UTC(2026, 2, 1) / 1000 });
    expect(budgetPeriod('d', at)).toEqual({ start: Date.UTC(2026, 1, 28) / 1000, end: Date.UTC(2026, 2, 1) / 1000 });
  });

  it('uses calendar months, whatever their length', () => {
    expect(budgetPeriod('mo', at)).toEqual({ start: Date.UTC(2026, 1, 1) / 1000, end: Date.UTC(2026, 2, 1) / 1000 });
    expect(budgetPeriod('mo', Date.UTC(2026, 11, 31, 12))).toEqual({ start: Date.UTC(2026, 11, 1) / 1000, end: Date.UTC(2027, 0, 1) / 1000 });
  });

  it('converts USD to exact integer nano-dollars', () => {
    expect(toNanoUsd(0.0000027)).toBe(2700);
    expect(toNanoUsd(0.25)).toBe(250_000_000);
  });
});
