/**
 * Fixed-length training windows over a replay buffer, after diffusion_policy/common/sampler.py
 * (`create_indices`, `get_val_mask`, `downsample_mask`, `SequenceSampler`).
 *
 * Each episode of length L is padded by repeating its first frame `padBefore` times (To − 1 in the
 * original configs) and its last frame `padAfter` times (Ta − 1), and every `horizon`-step window of the
 * padded episode is one sample: L + padBefore + padAfter − horizon + 1 windows (none when that is ≤ 0).
 * With padBefore = To − 1, step To − 1 of window j is real step j, so the executed actions
 * (prediction indices To − 1 … To − 2 + Ta) start at the step the policy observes last.
 */
import type { ReplayBuffer, StepArray } from './replay-buffer.ts';

/** Int32 rows of (bufferStart, bufferEnd, sampleStart, sampleEnd), as the original's `indices`. */
export type WindowIndices = Int32Array;

export interface SamplerOptions {
  /** Window length in steps (the original's sequence_length / horizon, e.g. 16). */
  horizon: number;
  /** First-frame repeats before each episode; clamped to [0, horizon − 1] as in the original. */
  padBefore?: number;
  /** Last-frame repeats after each episode; clamped to [0, horizon − 1]. */
  padAfter?: number;
  /** Episodes to draw windows from (default all), e.g. the train mask from `getValMask`. */
  episodeMask?: ArrayLike<boolean>;
  /** Keys `sample` returns (default every key of the buffer). */
  keys?: string[];
}

/** create_indices: one row of 4 per window over the episodes in `mask`, in episode order. */
export function createIndices(
  episodeEnds: ArrayLike<number>, horizon: number, mask?: ArrayLike<boolean>, padBefore = 0, padAfter = 0,
): WindowIndices {
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`createIndices: horizon must be an integer ≥ 1, got ${horizon}`);
  if (mask && mask.length !== episodeEnds.length) {
    throw new Error(`createIndices: episode mask has ${mask.length} entries, expected ${episodeEnds.length} (one per episode)`);
  }
  const before = Math.min(Math.max(Math.trunc(padBefore), 0), horizon - 1);
  const after = Math.min(Math.max(Math.trunc(padAfter), 0), horizon - 1);
  const rows: number[] = [];
  for (let i = 0; i < episodeEnds.length; i++) {
    if (mask && !mask[i]) continue;
    const start = i === 0 ? 0 : episodeEnds[i - 1];
    const length = episodeEnds[i] - start;
    for (let idx = -before; idx <= length - horizon + after; idx++) {
      const bufferStart = Math.max(idx, 0) + start;
      const bufferEnd = Math.min(idx + horizon, length) + start;
      const sampleStart = bufferStart - (idx + start);
      const sampleEnd = horizon - (idx + horizon + start - bufferEnd);
      rows.push(bufferStart, bufferEnd, sampleStart, sampleEnd);
    }
  }
  return Int32Array.from(rows);
}

export class SequenceSampler {
  readonly indices: WindowIndices;
  readonly horizon: number;
  readonly keys: string[];
  /** The buffer's arrays when the sampler was built (its windows describe that state). */
  private readonly columns = new Map<string, { data: StepArray; stepSize: number }>();

  constructor(private readonly buffer: ReplayBuffer, opts: SamplerOptions) {
    this.horizon = opts.horizon;
    this.keys = opts.keys ?? buffer.keys();
    for (const k of this.keys) this.columns.set(k, buffer.get(k)); // fails now, naming the key, not mid-training
    this.indices = createIndices(buffer.episodeEnds, opts.horizon, opts.episodeMask, opts.padBefore, opts.padAfter);
  }

  /** Number of windows. */
  get length(): number { return this.indices.length / 4; }

  /** Window i as the original's index row. */
  window(i: number): { bufferStart: number; bufferEnd: number; sampleStart: number; sampleEnd: number } {
    this.check(i);
    const r = this.indices.subarray(4 * i, 4 * i + 4);
    return { bufferStart: r[0], bufferEnd: r[1], sampleStart: r[2], sampleEnd: r[3] };
  }

  /** Copies window i of `key` (horizon × perStep, padding applied) into `out`; allocates nothing. */
  sampleInto<T extends Float32Array | Uint8Array>(i: number, key: string, out: T): T {
    this.check(i);
    const { data, stepSize } = this.columns.get(key) ?? this.buffer.get(key);
    const n = this.horizon * stepSize;
    if (out.length !== n) throw new Error(`SequenceSampler.sampleInto: out for '${key}' must hold ${n} values (${this.horizon} × ${stepSize}), got ${out.length}`);
    for (let t = 0, o = 0; t < this.horizon; t++) {
      const src = this.frame(i, t) * stepSize;
      for (let d = 0; d < stepSize; d++) out[o++] = data[src + d];
    }
    return out;
  }

  /** The buffer step shown at step t of window i (no range check: callers check i). */
  frame(i: number, t: number): number {
    const b0 = this.indices[4 * i], last = this.indices[4 * i + 1] - b0 - 1, s0 = this.indices[4 * i + 2];
    // Steps before sampleStart repeat the first frame, steps from sampleEnd on repeat the last.
    return b0 + Math.min(Math.max(t - s0, 0), last);
  }

  /** Window i of each key as a fresh horizon × perStep Float32Array (uint8 keys are converted, not scaled). */
  sample(i: number, keys: string[] = this.keys): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const k of keys) out[k] = this.sampleInto(i, k, new Float32Array(this.horizon * this.buffer.get(k).stepSize));
    return out;
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new Error(`SequenceSampler: window ${i} out of range [0, ${this.length})`);
  }
}

/** Python's round(): halves go to the even neighbour (round(2.5) = 2), which get_val_mask's count uses. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * get_val_mask: n_val = min(max(1, round(n·ratio)), n − 1) episodes (none when ratio ≤ 0), chosen without
 * replacement. The original draws with numpy's `default_rng(seed).choice` (PCG64); this uses a seeded
 * partial Fisher–Yates over splitmix32, so the counts match the original but the chosen episodes differ.
 */
export function getValMask(nEpisodes: number, valRatio: number, seed = 0): boolean[] {
  if (!Number.isInteger(nEpisodes) || nEpisodes < 0) throw new Error(`getValMask: nEpisodes must be an integer ≥ 0, got ${nEpisodes}`);
  if (!Number.isFinite(valRatio)) throw new Error(`getValMask: valRatio must be a finite number, got ${valRatio}`);
  const mask = new Array<boolean>(nEpisodes).fill(false);
  if (valRatio <= 0) return mask;
  // Clamped at 0 where the original's rng.choice(size=-1) would raise (nEpisodes = 0).
  const nVal = Math.max(0, Math.min(Math.max(1, roundHalfEven(nEpisodes * valRatio)), nEpisodes - 1));
  for (const i of chooseWithoutReplacement(nEpisodes, nVal, seed)) mask[i] = true;
  return mask;
}

/** downsample_mask: keeps `maxN` of the episodes set in `mask` (chosen as in getValMask) when there are more. */
export function downsampleMask(mask: ArrayLike<boolean>, maxN: number | null | undefined, seed = 0): boolean[] {
  const out = Array.from(mask, Boolean);
  const set = out.flatMap((m, i) => (m ? [i] : []));
  if (maxN === null || maxN === undefined || set.length <= maxN) return out;
  if (!Number.isInteger(maxN) || maxN < 0) throw new Error(`downsampleMask: maxN must be an integer ≥ 0 or null, got ${maxN}`);
  out.fill(false);
  for (const j of chooseWithoutReplacement(set.length, maxN, seed)) out[set[j]] = true;
  return out;
}

/** `k` distinct indices of [0, n): the first k of a seeded partial Fisher–Yates shuffle. */
export function chooseWithoutReplacement(n: number, k: number, seed: number): number[] {
  if (k < 0 || k > n) throw new Error(`chooseWithoutReplacement: k must be in [0, ${n}], got ${k}`);
  const next = splitmix32(seed);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + uniformInt(next, n - i);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm.slice(0, k);
}

/** splitmix32 (a 32-bit variant of Steele et al.'s SplitMix): a tiny, well-mixed seeded uint32 stream. */
export function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}

/** Unbiased integer in [0, m) by rejection from uint32 draws. */
function uniformInt(next: () => number, m: number): number {
  const limit = 2 ** 32 - (2 ** 32 % m);
  let x = next();
  while (x >= limit) x = next();
  return x % m;
}
