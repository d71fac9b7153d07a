import { describe, expect, it } from 'vitest';
import { mean, std, wilson, wilsonMean } from '../../src/eval/metrics.ts';

describe('Wilson score interval', () => {
  it('matches closed forms at the edges: 0/n has upper bound z²/(n + z²)', () => {
    const z = 1.959963984540054;
    const iv = wilson(0, 50);
    expect(iv.value).toBe(0);
    expect(iv.low).toBe(0);
    expect(iv.high).toBeCloseTo((z * z) / (50 + z * z), 12);
    const full = wilson(50, 50);
    expect(full.high).toBe(1);
    expect(full.low).toBeCloseTo(50 / (50 + z * z), 12);
  });

  it('matches published values (Newcombe 1998, Table I: 81/263 → 0.2553–0.3662; 15/148 → 0.0624–0.1605)', () => {
    const a = wilson(81, 263);
    expect(a.low).toBeCloseTo(0.2553, 4);
    expect(a.high).toBeCloseTo(0.3662, 4);
    const b = wilson(15, 148);
    expect(b.low).toBeCloseTo(0.0624, 4);
    expect(b.high).toBeCloseTo(0.1605, 4);
  });

  it('is symmetric: the interval of k/n mirrors that of (n−k)/n', () => {
    for (const [k, n] of [[3, 10], [17, 50], [1, 7]]) {
      const a = wilson(k, n);
      const b = wilson(n - k, n);
      expect(a.low).toBeCloseTo(1 - b.high, 12);
      expect(a.high).toBeCloseTo(1 - b.low, 12);
    }
  });

  it('rejects bad counts with a clear error', () => {
    expect(() => wilson(6, 5)).toThrow('wilson: successes must be in [0, n=5], got 6');
    expect(() => wilson(1, 2.5)).toThrow('wilson: n must be a non-negative integer, got 2.5');
    expect(() => wilsonMean([0.5, 1.2])).toThrow('wilsonMean: scores must lie in [0, 1], got 1.2');
  });

  it('gives a mean-score interval that contains the mean and equals the binomial one for 0/1 scores', () => {
    const scores = [1, 0, 0, 1, 1, 0, 1, 1];
    const iv = wilsonMean(scores);
    const bin = wilson(5, 8);
    expect(iv.value).toBeCloseTo(5 / 8, 15);
    expect(iv.low).toBeCloseTo(bin.low, 15);
    expect(iv.high).toBeCloseTo(bin.high, 15);
  });
});

describe('mean and std', () => {
  it('compute the sample statistics', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(std([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(std([3])).toBe(0);
  });
});
