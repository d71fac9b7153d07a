import { describe, expect, it } from 'vitest';
import {
  actionDiversity,
  commitment,
  jsDivergence,
  klDivergence,
  modeHistogram,
  normalizedEntropy,
  summarizeModes,
  switchRate,
} from '../../src/eval/multimodality.ts';

describe('modeHistogram', () => {
  it('counts every listed mode, unseen ones as 0', () => {
    expect(modeHistogram(['cw', 'cw', 'ccw'], ['cw', 'ccw', 'x'])).toEqual({ cw: 2, ccw: 1, x: 0 });
    expect(modeHistogram([], ['a', 'b'])).toEqual({ a: 0, b: 0 });
  });
  it('throws naming an unknown label, and on empty or repeated modes', () => {
    expect(() => modeHistogram(['cw', 'left'], ['cw', 'ccw'])).toThrow(/"left" at index 1 is not one of the modes \[cw, ccw\]/);
    expect(() => modeHistogram(['cw'], [])).toThrow(/at least one mode/);
    expect(() => modeHistogram(['cw'], ['cw', 'cw'])).toThrow(/distinct/);
  });
});

describe('normalizedEntropy', () => {
  it('is 1 for a uniform histogram and 0 for a one-hot, single-mode or empty one', () => {
    expect(normalizedEntropy({ a: 5, b: 5 })).toBeCloseTo(1, 12);
    expect(normalizedEntropy([3, 3, 3, 3, 3])).toBeCloseTo(1, 12);
    expect(normalizedEntropy({ a: 7, b: 0, c: 0 })).toBe(0);
    expect(normalizedEntropy({ a: 4 })).toBe(0);
    expect(normalizedEntropy({ a: 0, b: 0 })).toBe(0);
  });
  it('matches a hand computation: p = (3/4, 1/4) over 2 modes → 2 − (3/4)·log2 3 = 0.8112781…', () => {
    expect(normalizedEntropy({ a: 3, b: 1 })).toBeCloseTo(0.8112781244591328, 12);
    // Over 3 listed modes (third unseen), divide by log2 3 instead.
    expect(normalizedEntropy({ a: 3, b: 1 }, ['a', 'b', 'c'])).toBeCloseTo(0.8112781244591328 / Math.log2(3), 12);
  });
  it('throws on negative counts and on counts for unlisted modes', () => {
    expect(() => normalizedEntropy({ a: -1, b: 2 })).toThrow(/hist\["a"\] must be a finite count ≥ 0, got -1/);
    expect(() => normalizedEntropy({ a: 1, z: 2 }, ['a', 'b'])).toThrow(/count 2 for "z".*not one of the modes/);
  });
});

describe('jsDivergence / klDivergence', () => {
  it('JS(p, p) = 0 (also after normalization), and JS is symmetric', () => {
    expect(jsDivergence({ a: 1, b: 3 }, { a: 2, b: 6 })).toBeCloseTo(0, 12);
    const p = [0.1, 0.6, 0.3];
    const q = [0.5, 0.2, 0.3];
    expect(jsDivergence(p, q)).toBeCloseTo(jsDivergence(q, p), 14);
    expect(jsDivergence(p, q)).toBeGreaterThan(0);
  });
  it('JS of disjoint supports is 1 bit', () => {
    expect(jsDivergence({ cw: 4, ccw: 0 }, { cw: 0, ccw: 9 })).toBeCloseTo(1, 12);
    expect(jsDivergence([1, 1, 0, 0], [0, 0, 2, 5])).toBeCloseTo(1, 12);
  });
  it('matches a hand computation: p = (½, ½), q = (1, 0)', () => {
    // m = (¾, ¼). KL(p‖m) = ½·log2(2/3) + ½·log2 2 = 0.2075187…, KL(q‖m) = log2(4/3) = 0.4150375…
    // JS = ½(0.2075187496 + 0.4150374993) = 0.3112781245
    expect(jsDivergence([0.5, 0.5], [1, 0])).toBeCloseTo(0.3112781244591328, 12);
  });
  it('KL: 0 for equal histograms, log2(4/3) for (1,0)‖(¾,¼), ∞ off support', () => {
    expect(klDivergence([2, 2], [1, 1])).toBe(0);
    expect(klDivergence([1, 0], [3, 1])).toBeCloseTo(0.4150374992788438, 12);
    expect(klDivergence([1, 1], [1, 0])).toBe(Infinity);
  });
  it('throws on empty, mismatched or negative histograms', () => {
    expect(() => jsDivergence([0, 0], [1, 1])).toThrow(/p is empty/);
    expect(() => jsDivergence([1, 1], [1, 1, 1])).toThrow(/p has 2 modes but q has 3/);
    expect(() => jsDivergence({ a: 1 }, [1])).toThrow(/both be arrays or both be records/);
    expect(() => jsDivergence([1, NaN], [1, 1])).toThrow(/p\["1"\] must be a finite count ≥ 0, got NaN/);
  });
});

describe('commitment / switchRate (§7.5)', () => {
  it('constant sequences: commitment 1, switch rate 0', () => {
    const seqs = [['cw', 'cw', 'cw'], ['ccw', 'ccw']];
    expect(commitment(seqs)).toBe(1);
    expect(switchRate(seqs)).toBe(0);
  });
  it('strictly alternating sequences of even length: commitment 0.5, switch rate 1', () => {
    for (const n of [2, 4, 10]) {
      const seq = Array.from({ length: n }, (_, i) => (i % 2 ? 'ccw' : 'cw'));
      expect(commitment([seq])).toBe(0.5);
      expect(switchRate([seq])).toBe(1);
    }
  });
  it('averages over rollouts: [cw cw cw ccw] and [cw cw] → commitment (3/4 + 1)/2, switch rate (1/3 + 0)/2', () => {
    const seqs = [['cw', 'cw', 'cw', 'ccw'], ['cw', 'cw']];
    expect(commitment(seqs)).toBeCloseTo(0.875, 14);
    expect(switchRate(seqs)).toBeCloseTo(1 / 6, 14);
  });
  it("ignores 'none' entries and skips rollouts with < 2 labelled entries; NaN when none qualifies", () => {
    const seqs = [['cw', 'none', 'cw', 'none'], ['none', 'ccw', 'none'], []];
    expect(commitment(seqs)).toBe(1);
    expect(switchRate(seqs)).toBe(0);
    expect(switchRate([['cw', 'none', 'ccw']])).toBe(1);
    expect(commitment([['none', 'cw'], []])).toBeNaN();
    expect(switchRate([])).toBeNaN();
    expect(commitment([['x', 'y']], ['x', 'y'])).toBeNaN(); // custom neutral labels
  });
  it('throws on a non-array rollout', () => {
    expect(() => commitment([['cw'], 'cw' as unknown as string[]])).toThrow(/stepLabels\[1\] must be an array of labels/);
  });
});

describe('actionDiversity', () => {
  // Deterministic jitter in [−0.05, 0.05].
  const jitter = (i: number) => ((Math.sin(i * 12.9898) * 43758.5453) % 1) * 0.05;
  const cloud = (cx: number, cy: number, n: number, off: number) => Array.from({ length: n }, (_, i) => [cx + jitter(off + 2 * i), cy + jitter(off + 2 * i + 1)]).flat();

  it('finds 2 clusters for two well-separated clouds and 1 for one cloud', () => {
    const two = new Float32Array([...cloud(0, 0, 6, 0), ...cloud(5, 5, 4, 100)]);
    const r2 = actionDiversity(two, 2, { radius: 0.5 });
    expect(r2.clusters).toBe(2);
    expect(r2.sizes).toEqual([6, 4]);
    expect(r2.maxPairwise).toBeGreaterThan(5 * Math.SQRT2 - 0.2);
    const r1 = actionDiversity(new Float32Array(cloud(1, -1, 8, 7)), 2, { radius: 0.5 });
    expect(r1.clusters).toBe(1);
    expect(r1.sizes).toEqual([8]);
  });
  it('does not depend on the order of the points (single linkage chains through neighbours)', () => {
    // 0 — 1 — 2 chained at distance 1, plus 10 far away; radius 1 links the chain whatever the order.
    expect(actionDiversity([0, 2, 10, 1], 1, { radius: 1 }).sizes).toEqual([3, 1]);
    expect(actionDiversity([2, 0, 1, 10], 1, { radius: 1 }).sizes).toEqual([3, 1]);
  });
  it('matches hand computations of spread and maxPairwise', () => {
    // Square corners (0,0),(2,0),(0,2),(2,2): centroid (1,1), each at √2 from it; diagonal 2√2.
    const sq = actionDiversity(new Float32Array([0, 0, 2, 0, 0, 2, 2, 2]), 2, { radius: 1 });
    expect(sq.spread).toBeCloseTo(Math.SQRT2, 6);
    expect(sq.maxPairwise).toBeCloseTo(2 * Math.SQRT2, 6);
    expect(sq.clusters).toBe(4);
    // 1-D points 0, 0, 3: centroid 1, distances 1, 1, 2 → spread 4/3; max pairwise 3.
    const line = actionDiversity([0, 0, 3], 1, { radius: 0.1 });
    expect(line.spread).toBeCloseTo(4 / 3, 12);
    expect(line.maxPairwise).toBe(3);
    expect(line.sizes).toEqual([2, 1]);
    expect(actionDiversity([1, 2, 3], 3, { radius: 1 })).toEqual({ clusters: 1, sizes: [1], spread: 0, maxPairwise: 0 });
  });
  it('throws on bad shapes, radii and values', () => {
    expect(() => actionDiversity(new Float32Array(5), 2, { radius: 1 })).toThrow(/K ≥ 1 rows of D=2 numbers, got 5 numbers/);
    expect(() => actionDiversity(new Float32Array(0), 2, { radius: 1 })).toThrow(/K ≥ 1 rows/);
    expect(() => actionDiversity(new Float32Array(4), 0, { radius: 1 })).toThrow(/D must be a positive integer, got 0/);
    expect(() => actionDiversity(new Float32Array(4), 2, { radius: -1 })).toThrow(/opts.radius must be a finite number ≥ 0, got -1/);
    expect(() => actionDiversity([0, 1, NaN, 2], 2, { radius: 1 })).toThrow(/endpoints\[2\] \(row 1\) must be finite, got NaN/);
  });
});

describe('summarizeModes', () => {
  it('histograms, entropies and JS to demos, neutral labels dropped', () => {
    const s = summarizeModes(['cw', 'ccw', 'cw', 'ccw', 'none'], ['cw', 'cw', 'none', 'none'], ['cw', 'ccw']);
    expect(s.demoHistogram).toEqual({ cw: 2, ccw: 2 });
    expect(s.rolloutHistogram).toEqual({ cw: 2, ccw: 0 });
    expect(s.demoEntropy).toBeCloseTo(1, 12);
    expect(s.rolloutEntropy).toBe(0);
    expect(s.jsToDemos).toBeCloseTo(0.3112781244591328, 12); // same as p = (½, ½), q = (1, 0)
    expect(s.neutral).toEqual({ demo: 1, rollout: 2 });
  });
  it('jsToDemos is NaN without labelled rollouts; bad inputs throw', () => {
    expect(summarizeModes(['cw'], ['none'], ['cw', 'ccw']).jsToDemos).toBeNaN();
    expect(() => summarizeModes(['cw'], ['up'], ['cw', 'ccw'])).toThrow(/"up" at index 0 is not one of the modes/);
    expect(() => summarizeModes([], [], ['cw', 'none'])).toThrow(/mode "none" is also a neutral label/);
  });
});
