/** Interval estimates for the leaderboard: Wilson score intervals for rates, mean ± std across seeds. */

export interface Interval {
  /** The point estimate. */
  value: number;
  low: number;
  high: number;
}

/**
 * Wilson score interval for a binomial proportion (Wilson 1927), 95% by default. Unlike the normal
 * approximation it stays inside [0, 1] and is honest at 0/n and n/n.
 */
export function wilson(successes: number, n: number, z = 1.959963984540054): Interval {
  if (!Number.isInteger(n) || n < 0) throw new Error(`wilson: n must be a non-negative integer, got ${n}`);
  if (!(successes >= 0 && successes <= n)) throw new Error(`wilson: successes must be in [0, n=${n}], got ${successes}`);
  if (n === 0) return { value: NaN, low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { value: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Wilson interval for the mean of scores in [0, 1] (e.g. the per-episode max reward), treating the
 * summed score as a fractional success count. A conservative, bounded interval for bounded scores.
 */
export function wilsonMean(scores: readonly number[]): Interval {
  for (const s of scores) if (!(s >= 0 && s <= 1)) throw new Error(`wilsonMean: scores must lie in [0, 1], got ${s}`);
  const sum = scores.reduce((a, b) => a + b, 0);
  const iv = wilson(sum, scores.length);
  return { ...iv, value: scores.length ? sum / scores.length : NaN };
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Sample standard deviation (n − 1); 0 for a single value. */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}
