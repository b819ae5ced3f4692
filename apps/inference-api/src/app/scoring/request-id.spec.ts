import { timeOrderedUuid } from './request-id';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID whose first 48 bits are the time in milliseconds', () => {
    const now = Date.UTC(2026, 10, 27, 16, 30, 0, 123);
    const id = timeOrderedUuid(now);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it('sorts as text in time order, and never repeats', () => {
    const start = Date.UTC(2026, 0, 1);
    const ids = Array.from({ length: 5000 }, (_, index) => timeOrderedUuid(start + index));
    expect([...ids].sort()).toEqual(ids);
    const sameMillisecond = Array.from({ length: 5000 }, () => timeOrderedUuid(start));
    expect(new Set(sameMillisecond).size).toBe(5000);
    expect(sameMillisecond.every((id) => UUID_V7.test(id))).toBe(true);
  });

  it('carries the random bits of the system generator (each hex digit of the random part close to uniform)', () => {
    const counts = new Array<number>(16).fill(0);
    const draws = 20_000;
    for (let index = 0; index < draws; index++) counts[parseInt(timeOrderedUuid(0).slice(-1), 16)]++;
    // Expected 1250 per digit; 6 standard deviations (~6 × 34) is far beyond chance and far below a stuck generator.
    for (const count of counts) expect(Math.abs(count - draws / 16)).toBeLessThan(210);
  });
});
