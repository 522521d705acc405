import { describe, expect, it } from 'vitest';
import { NO_UNITS, PRICES, addUnits, executionCost, formatUsd, priceUnits, totalUsd } from './prices.js';

describe('execution prices', () => {
  it('prices each unit at its list price per million', () => {
    const lines = priceUnits({ ...NO_UNITS, workerRequests: 2, durableObjectRequests: 4, sqliteRowsWritten: 30, sqliteRowsRead: 1000 });
    expect(totalUsd(lines)).toBeCloseTo((2 * 0.3 + 4 * 0.15 + 30 * 1 + 1000 * 0.001) / 1e6, 15);
  });

  it('prices stored bytes for one month kept', () => {
    expect(totalUsd(priceUnits({ ...NO_UNITS, storedBytes: 1e9 }))).toBeCloseTo(PRICES.sqlite.perGbMonth);
  });

  it('adds flows and keeps the later level of stored bytes', () => {
    const a = addUnits({ ...NO_UNITS, workerRequests: 1, storedBytes: 100 }, { workerRequests: 2, storedBytes: 50 });
    expect(a.workerRequests).toBe(3);
    expect(a.storedBytes).toBe(50);
  });

  it('names the price table and its date', () => {
    expect(executionCost(NO_UNITS).priceTable).toEqual({ name: PRICES.name, date: PRICES.date });
  });

  it('shows small amounts with their significant digits', () => {
    expect(formatUsd(0)).toBe('$0');
    expect(formatUsd(0.0000321)).toBe('$0.0000321');
    expect(formatUsd(12.5)).toBe('$12.50');
    expect(formatUsd(1.27e-7)).toBe('$0.000000127');
  });
});
