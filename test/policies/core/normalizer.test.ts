import { describe, expect, it } from 'vitest';
import { LinearNormalizer } from '../../../policies/core/normalizer.ts';

// Three steps of a 4-dim signal: a Push-T-like x in px, an angle, a constant, a near-constant (range < 1e-4).
const DATA = Float32Array.from([
  [100, -3, 7, 0.5],
  [512, 3, 7, 0.50005],
  [256, 0.25, 7, 0.50002],
].flat());
const DIM = 4;

describe('LinearNormalizer (limits)', () => {
  it('maps each dimension’s min and max to exactly −1 and +1', () => {
    const n = LinearNormalizer.fit(DATA, DIM);
    const lo = n.normalize(Float32Array.from([100, -3, 7, 0.5]));
    const hi = n.normalize(Float32Array.from([512, 3, 7, 0.50005]));
    expect(lo[0]).toBe(-1);
    expect(lo[1]).toBe(-1);
    expect(hi[0]).toBe(1);
    expect(hi[1]).toBe(1);
    // interior points follow 2(x − min)/(max − min) − 1 (the Colab's formula)
    const mid = n.normalize(Float32Array.from([256, 0.25, 7, 0.5]));
    expect(mid[0]).toBeCloseTo((2 * (256 - 100)) / 412 - 1, 6);
    expect(mid[1]).toBeCloseTo((2 * (0.25 + 3)) / 6 - 1, 6);
    expect(Array.from(n.inputMin.subarray(0, 2))).toEqual([100, -3]);
    expect(Array.from(n.inputMax.subarray(0, 2))).toEqual([512, 3]);
  });

  it('hits −1 and +1 exactly in float32 over many random ranges and magnitudes', () => {
    let seed = 12345;
    const u = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const dim = 200;
    const rows = 5;
    const data = new Float32Array(rows * dim);
    for (let i = 0; i < dim; i++) {
      const centre = (u() - 0.5) * 10 ** (u() * 6 - 2);
      const spread = 10 ** (u() * 5 - 3);
      for (let r = 0; r < rows; r++) data[r * dim + i] = centre + (u() - 0.5) * spread;
    }
    const n = LinearNormalizer.fit(data, dim);
    const y = n.normalize(data);
    for (let i = 0; i < dim; i++) {
      if (n.inputMax[i] - n.inputMin[i] < 1e-4) continue;
      let lo = Infinity;
      let hi = -Infinity;
      for (let r = 0; r < rows; r++) {
        lo = Math.min(lo, y[r * dim + i]);
        hi = Math.max(hi, y[r * dim + i]);
      }
      expect([lo, hi], `dimension ${i}`).toEqual([-1, 1]);
    }
  });

  it('centres constant dimensions on 0 without scaling (range < 1e-4 → range := 2)', () => {
    const n = LinearNormalizer.fit(DATA, DIM);
    // _fit: scale = 2/2 = 1; offset = (1 + −1)/2 − min = −min
    expect(n.scale[2]).toBe(1);
    expect(n.offset[2]).toBe(-7);
    expect(n.scale[3]).toBe(1);
    expect(n.offset[3]).toBe(-0.5);
    const y = n.normalize(DATA);
    for (let s = 0; s < 3; s++) {
      expect(y[s * DIM + 2]).toBe(0);
      expect(y[s * DIM + 3]).toBeCloseTo(DATA[s * DIM + 3] - 0.5, 7);
    }
    // a custom output interval centres on its midpoint
    const m = LinearNormalizer.fromLimits([7], [7], { outputMin: 0, outputMax: 4 });
    expect(m.scale[0]).toBe(1);
    expect(m.normalize(Float32Array.of(7))[0]).toBe(2);
    // a range just above eps is scaled as usual
    const k = LinearNormalizer.fromLimits([0], [2e-4]);
    expect(k.scale[0]).toBeCloseTo(1e4, 2);
  });

  it('unnormalize ∘ normalize is the identity within 1e-6 (relative to the range)', () => {
    const n = LinearNormalizer.fit(DATA, DIM);
    const x = Float32Array.from({ length: 40 }, (_, i) => [100 + 10 * i, -3 + 0.15 * i, 7, 0.5 + 1e-6 * i][i % 4]);
    const back = n.unnormalize(n.normalize(x));
    const range = [412, 6, 1, 1];
    for (let i = 0; i < x.length; i++) expect(Math.abs(back[i] - x[i]) / range[i % 4]).toBeLessThanOrEqual(1e-6);
    // in place
    const y = Float32Array.from(x);
    expect(n.normalize(y, y)).toBe(y);
    expect(n.unnormalize(y, y)).toBe(y);
    for (let i = 0; i < x.length; i++) expect(Math.abs(y[i] - x[i]) / range[i % 4]).toBeLessThanOrEqual(1e-6);
  });

  it('maps images [0, 1] to [−1, 1] (scale 2, offset −1)', () => {
    const n = LinearNormalizer.fromLimits([0, 0, 0], [1, 1, 1]);
    expect(Array.from(n.scale)).toEqual([2, 2, 2]);
    expect(Array.from(n.offset)).toEqual([-1, -1, -1]);
  });

  it('round-trips through JSON', () => {
    const n = LinearNormalizer.fit(DATA, DIM);
    const json = JSON.parse(JSON.stringify(n)) as unknown;
    const m = LinearNormalizer.fromJSON(json);
    expect(m.toJSON()).toEqual(n.toJSON());
    expect(Array.from(m.normalize(DATA))).toEqual(Array.from(n.normalize(DATA)));
    expect(Array.from(m.scale)).toEqual(Array.from(n.scale));
    expect(Array.from(m.offset)).toEqual(Array.from(n.offset));
  });

  it('rejects bad data and bad JSON with the input named', () => {
    expect(() => LinearNormalizer.fit(new Float32Array(0), 2)).toThrow(/positive multiple of dim 2, got 0/);
    expect(() => LinearNormalizer.fit(new Float32Array(5), 2)).toThrow(/positive multiple of dim 2, got 5/);
    expect(() => LinearNormalizer.fit(new Float32Array(4), 0)).toThrow(/dim must be an integer ≥ 1, got 0/);
    expect(() => LinearNormalizer.fit(Float32Array.of(1, NaN), 2)).toThrow(/data\[1\] \(dimension 1\) must be finite, got NaN/);
    expect(() => LinearNormalizer.fromLimits([1, 0], [0, 1])).toThrow(/dimension 0 needs finite min ≤ max, got \[1, 0\]/);
    expect(() => LinearNormalizer.fromLimits([0], [1, 2])).toThrow(/same length/);
    expect(() => LinearNormalizer.fromLimits([0], [1], { outputMin: 1, outputMax: -1 })).toThrow(/outputMax must be > outputMin/);
    expect(() => LinearNormalizer.fromLimits([0], [1], { rangeEps: 0 })).toThrow(/bad option rangeEps/);

    const n = LinearNormalizer.fit(DATA, DIM);
    expect(() => n.normalize(new Float32Array(5))).toThrow(/multiple of dim 4, got 5/);
    expect(() => n.normalize(new Float32Array(4), new Float32Array(8))).toThrow(/out must be a Float32Array of 4 values, got 8/);
    expect(() => n.unnormalize([1, 2, 3, 4] as unknown as Float32Array)).toThrow(/input must be a Float32Array/);

    const good = n.toJSON();
    expect(() => LinearNormalizer.fromJSON(null)).toThrow(/LinearNormalizer.fromJSON: bad field/);
    expect(() => LinearNormalizer.fromJSON({ ...good, kind: 'gaussian' })).toThrow(/bad field kind/);
    expect(() => LinearNormalizer.fromJSON({ ...good, extra: 1 })).toThrow(/bad field/);
    expect(() => LinearNormalizer.fromJSON({ ...good, scale: good.scale.slice(1) })).toThrow(/scale must have dim = 4 values, got 3/);
    expect(() => LinearNormalizer.fromJSON({ ...good, inputMin: [100, -3, 7, 'x'] })).toThrow(/bad field inputMin.3/);
    expect(() => LinearNormalizer.fromJSON({ ...good, offset: [0, 0, 0, 0] })).toThrow(/dimension 0: scale\/offset .* do not match the limits/);
  });
});
