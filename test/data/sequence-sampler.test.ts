import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../src/data/replay-buffer.ts';
import { createIndices, downsampleMask, getValMask, roundHalfEven, SequenceSampler } from '../../src/data/sequence-sampler.ts';
import { pythonJson } from './python-zarr.ts';

/** Park–Miller minimal standard generator: the test's own seeded source of random cases. */
function lcg(seed: number) {
  let s = seed % 2147483647 || 1;
  return (lo: number, hi: number) => lo + ((s = (s * 16807) % 2147483647) % (hi - lo + 1));
}

/** Episode e, step t is encoded in the data: x = (1000e + t, −t), ep = e. */
function buffer(lengths: number[]): ReplayBuffer {
  const rb = new ReplayBuffer({ x: [2], ep: [1] });
  lengths.forEach((L, e) => {
    const x = new Float32Array(2 * L);
    for (let t = 0; t < L; t++) x.set([1000 * e + t, -t], 2 * t);
    rb.addEpisode({ x, ep: new Uint8Array(L).fill(e) });
  });
  return rb;
}

/** The oracle: an episode padded by hand (first frame × padBefore, frames, last frame × padAfter). */
function paddedSteps(L: number, padBefore: number, padAfter: number): number[] {
  return [...Array(padBefore).fill(0), ...Array.from({ length: L }, (_, t) => t), ...Array(padAfter).fill(L - 1)];
}

describe('SequenceSampler (create_indices + sample_sequence)', () => {
  it('matches hand-padded episodes over random lengths, horizons and paddings', () => {
    const rand = lcg(20240607);
    for (let trial = 0; trial < 300; trial++) {
      const lengths = Array.from({ length: rand(1, 6) }, () => rand(1, 40));
      const horizon = rand(1, 20);
      const padBefore = rand(0, horizon - 1), padAfter = rand(0, horizon - 1);
      const mask = lengths.map(() => rand(0, 3) > 0);
      const rb = buffer(lengths);
      const sampler = new SequenceSampler(rb, { horizon, padBefore, padAfter, episodeMask: mask });
      const label = `trial ${trial}: lengths [${lengths}] horizon ${horizon} pad ${padBefore}/${padAfter} mask [${mask.map(Number)}]`;

      // Expected windows, in order: every horizon-long slice of every padded, unmasked episode.
      const expected: Array<{ e: number; steps: number[] }> = [];
      lengths.forEach((L, e) => {
        if (!mask[e]) return;
        const padded = paddedSteps(L, padBefore, padAfter);
        const count = L + padBefore + padAfter - horizon + 1;
        expect(Math.max(0, count), label).toBe(Math.max(0, padded.length - horizon + 1));
        for (let j = 0; j + horizon <= padded.length; j++) expected.push({ e, steps: padded.slice(j, j + horizon) });
      });
      expect(sampler.length, label).toBe(expected.length);

      const out = new Float32Array(horizon * 2);
      const seen = lengths.map((L) => new Array<boolean>(L).fill(false));
      expected.forEach(({ e, steps }, i) => {
        const s = sampler.sample(i);
        expect(Array.from(s.ep), label).toEqual(Array(horizon).fill(e)); // never mixes episodes
        expect(Array.from(sampler.sampleInto(i, 'x', out)), `${label} window ${i}`).toEqual(steps.flatMap((t) => [1000 * e + t, -t]));
        expect(s.x).toEqual(out);
        for (const t of steps) seen[e][t] = true;
      });
      lengths.forEach((L, e) => {
        // Every real step of an episode with at least one window is in some window.
        if (mask[e] && L + padBefore + padAfter >= horizon) expect(seen[e].every(Boolean), `${label} episode ${e}`).toBe(true);
        if (!mask[e]) expect(seen[e].some(Boolean), `${label} masked episode ${e}`).toBe(false);
      });
    }
  });

  it('gives L − 7 windows per episode for horizon 16, pad 1/7, and step To−1 of window j is real step j', () => {
    const lengths = [8, 30, 16, 7];
    const rb = buffer(lengths);
    const To = 2, Ta = 8;
    const sampler = new SequenceSampler(rb, { horizon: 16, padBefore: To - 1, padAfter: Ta - 1 });
    expect(sampler.length).toBe(lengths.reduce((s, L) => s + Math.max(0, L - 7), 0));
    const out = new Float32Array(32);
    let i = 0;
    lengths.forEach((L, e) => {
      for (let j = 0; j < L - 7; j++, i++) {
        sampler.sampleInto(i, 'x', out);
        expect(out[2 * (To - 1)], `episode ${e} window ${j}`).toBe(1000 * e + j);
        // The executed actions, prediction indices To−1 … To−2+Ta, are real steps j … j+Ta−1 (clamped at the end).
        for (let k = 0; k < Ta; k++) expect(out[2 * (To - 1 + k)]).toBe(1000 * e + Math.min(j + k, L - 1));
      }
    });
    const window = sampler.window(0);
    expect(window).toEqual({ bufferStart: 0, bufferEnd: 8, sampleStart: 1, sampleEnd: 9 });
  });

  it('clamps paddings to horizon − 1 as the original and checks its inputs', () => {
    expect(createIndices([5], 3, undefined, 10, 10)).toEqual(createIndices([5], 3, undefined, 2, 2));
    expect(createIndices([5], 3, undefined, -4, 0)).toEqual(createIndices([5], 3, undefined, 0, 0));
    expect(() => createIndices([5], 0)).toThrow(/horizon must be an integer ≥ 1, got 0/);
    expect(() => createIndices([5, 9], 2, [true])).toThrow(/episode mask has 1 entries, expected 2/);
    const sampler = new SequenceSampler(buffer([4]), { horizon: 2 });
    expect(() => sampler.sampleInto(0, 'x', new Float32Array(3))).toThrow(/out for 'x' must hold 4 values \(2 × 2\), got 3/);
    expect(() => sampler.sample(3)).toThrow(/window 3 out of range \[0, 3\)/);
    expect(() => new SequenceSampler(buffer([4]), { horizon: 2, keys: ['img'] })).toThrow(/no key 'img'/);
  });
});

describe('getValMask / downsampleMask (get_val_mask, downsample_mask)', () => {
  const cases: Array<[number, number]> = [];
  for (const n of [0, 1, 2, 3, 5, 7, 10, 25, 50, 100, 206]) for (const r of [0, -0.1, 0.02, 0.1, 0.3, 0.5, 0.9, 1]) cases.push([n, r]);

  it("counts val episodes by the original's rule (with Python's round), evaluated by Python", () => {
    const counts = pythonJson<number[]>(`
import sys, json
cases = json.loads(sys.argv[1])
print(json.dumps([0 if r <= 0 else max(0, min(max(1, round(n * r)), n - 1)) for n, r in cases]))
`, [JSON.stringify(cases)]);
    cases.forEach(([n, r], k) => {
      const mask = getValMask(n, r, 42);
      expect(mask.length).toBe(n);
      expect(mask.filter(Boolean).length, `n=${n} ratio=${r}`).toBe(counts[k]);
    });
    expect([0.5, 1.5, 2.5, -2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -2, 2, 3]);
  });

  it('is deterministic for a seed, varies across seeds, and splits episodes into train and val', () => {
    const a = getValMask(206, 0.02, 42);
    expect(getValMask(206, 0.02, 42)).toEqual(a);
    const picks = new Set(Array.from({ length: 20 }, (_, s) => JSON.stringify(getValMask(50, 0.1, s))));
    expect(picks.size).toBeGreaterThan(15);
    const train = a.map((v) => !v);
    expect(a.every((v, i) => v !== train[i])).toBe(true);
    expect(train.filter(Boolean).length + a.filter(Boolean).length).toBe(206);
  });

  it('downsamples a train mask to maxN of its episodes', () => {
    const train = getValMask(206, 0.02, 42).map((v) => !v);
    const down = downsampleMask(train, 90, 42);
    expect(down.filter(Boolean).length).toBe(90);
    expect(down.every((v, i) => !v || train[i])).toBe(true);
    expect(downsampleMask(train, 90, 42)).toEqual(down);
    expect(downsampleMask(train, null)).toEqual(train);
    expect(downsampleMask(train, 500)).toEqual(train);
    expect(() => downsampleMask(train, -1)).toThrow(/maxN must be an integer ≥ 0 or null, got -1/);
  });
});
