/**
 * AdamW (Loshchilov & Hutter), computed as PyTorch's `torch.optim.AdamW` does, so the same gradients give
 * the same weights: p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε). Weight decay is per parameter (the original
 * transformer decays only Linear/attention weights; the U-Net decays everything).
 *
 * One fused loop over the flat parameter vector (param-layout.ts) instead of a dozen tensor ops per
 * parameter, four lanes at a time in WebAssembly SIMD (adamw-simd.ts): every operation is rounded to
 * float32 as a float32 tensor op would be (torch's CPU kernels, and tfjs's, compute in float32), so the
 * result is the same as the op-by-op form, bit for bit.
 */
import * as tf from '../../policies/nn/tf.ts';
import { ParamLayout } from './param-layout.ts';
import { adamwSimd } from './adamw-simd.ts';

export interface AdamWConfig {
  betas: [number, number];
  eps: number;
}

const f = Math.fround;

/** The scalars of update number t, as float32 tensor ops see them. */
export interface AdamWScalars {
  b1: number;
  oneMinusB1: number;
  b2: number;
  oneMinusB2: number;
  sqrtBc2: number;
  stepSize: number;
  eps: number;
  lr: number;
}

export function adamwScalars(cfg: AdamWConfig, t: number, lr: number): AdamWScalars {
  const [b1, b2] = cfg.betas;
  return { b1: f(b1), oneMinusB1: f(1 - b1), b2: f(b2), oneMinusB2: f(1 - b2), sqrtBc2: f(Math.sqrt(1 - b2 ** t)), stepSize: f(lr / (1 - b1 ** t)), eps: f(cfg.eps), lr };
}

/**
 * The update of elements [lo, hi) of the flat vectors (parameters p, moments m and v, gradient g), parameter
 * k spanning [offsets[k], offsets[k] + sizes[k]) with weight decay decay[k]. With `merge`, the gradient is
 * first g ← (g + y) / parts in the same pass (and written back): the data-parallel trainer's last subtree
 * merge and mean. Every thread of the data-parallel trainer runs this on its share, so the result does
 * not depend on who runs which range.
 */
export function adamwRange(
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  lo: number,
  hi: number,
  offsets: readonly number[],
  sizes: readonly number[],
  decay: readonly number[],
  s: AdamWScalars,
  merge: { y: Float32Array | null; parts: number } = { y: null, parts: 1 },
): void {
  const { b1, oneMinusB1, b2, oneMinusB2, sqrtBc2, stepSize, eps } = s;
  const { y, parts } = merge;
  for (let k = 0; k < offsets.length; k++) {
    const from = Math.max(lo, offsets[k]);
    const to = Math.min(hi, offsets[k] + sizes[k]);
    if (from >= to) continue;
    const wd = decay[k];
    const keep = f(1 - s.lr * wd);
    // Four lanes at a time where WebAssembly SIMD is there (the same bits: adamw-simd.ts), then the tail.
    const lanes = adamwSimd(p, m, v, g, from, to - from, { b1, oneMinusB1, b2, oneMinusB2, sqrtBc2, eps, stepSize, keep: wd > 0 ? keep : 1 }, y, parts);
    for (let i = from + lanes; i < to; i++) {
      let gi = g[i];
      if (y) gi = f(gi + y[i]);
      if (parts > 1) gi = f(gi / parts);
      g[i] = gi;
      const m1 = f(f(m[i] * b1) + f(gi * oneMinusB1));
      const v1 = f(f(v[i] * b2) + f(f(gi * gi) * oneMinusB2));
      const denom = f(f(f(Math.sqrt(v1)) / sqrtBc2) + eps);
      const decayed = wd > 0 ? f(p[i] * keep) : p[i];
      m[i] = m1;
      v[i] = v1;
      p[i] = f(decayed - f(f(m1 / denom) * stepSize));
    }
  }
}

export interface AdamWOptions {
  /** Keep the moments in SharedArrayBuffers, so gradient workers can update their share (data-parallel.ts). */
  shared?: boolean;
}

export class AdamW {
  readonly layout: ParamLayout;
  /** First and second moments, flat in layout order. */
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Weight decay per parameter (layout order). */
  readonly decay: number[];
  /** Optimizer steps taken (PyTorch's per-parameter `step`, shared here). */
  t = 0;

  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    weightDecay: (name: string) => number,
    readonly cfg: AdamWConfig,
    o: AdamWOptions = {},
  ) {
    this.layout = new ParamLayout(params);
    const buffer = () => (o.shared ? new SharedArrayBuffer(4 * this.layout.total) : new ArrayBuffer(4 * this.layout.total));
    this.m = new Float32Array(buffer());
    this.v = new Float32Array(buffer());
    this.decay = this.layout.names.map(weightDecay);
  }

  /** Counts an update and returns its scalars (for updates computed in ranges, see adamwRange). */
  nextStep(lr: number): AdamWScalars {
    this.t++;
    return adamwScalars(this.cfg, this.t, lr);
  }

  /** One update of the flat parameters `p` (layout order, in place) with the flat gradient `g`. */
  stepFlat(p: Float32Array, g: Float32Array, lr: number): void {
    const { layout } = this;
    if (p.length !== layout.total || g.length !== layout.total) {
      throw new Error(`AdamW: expected ${layout.total} parameters and gradients, got ${p.length} and ${g.length}`);
    }
    adamwRange(p, this.m, this.v, g, 0, layout.total, layout.offsets, layout.sizes, this.decay, this.nextStep(lr));
  }

  /** One update of the variables from gradients by parameter name (tests, one-off use). */
  step(grads: Record<string, tf.Tensor>, lr: number): void {
    const vars = [...this.params.values()];
    const g = new Float32Array(this.layout.total);
    this.layout.names.forEach((name, i) => {
      if (!grads[name]) throw new Error(`AdamW: no gradient for parameter ${name}`);
      g.set(grads[name].dataSync() as Float32Array, this.layout.offsets[i]);
    });
    const p = new Float32Array(this.layout.total);
    this.layout.gather(vars, p);
    this.stepFlat(p, g, lr);
    this.layout.scatter(p, vars);
  }

  /** Moments by name (`m.<param>`, `v.<param>`) for checkpoints (copies). */
  stateArrays(): Map<string, { data: Float32Array; shape: number[] }> {
    const out = new Map<string, { data: Float32Array; shape: number[] }>();
    for (const [kind, flat] of [['m', this.m], ['v', this.v]] as const) {
      this.layout.names.forEach((name, i) => out.set(`${kind}.${name}`, { data: this.layout.view(flat, i).slice(), shape: [...this.layout.shapes[i]] }));
    }
    return out;
  }

  loadStateArrays(arrays: Map<string, { data: Float32Array | Int32Array; shape: number[] }>, t: number): void {
    for (const [kind, flat] of [['m', this.m], ['v', this.v]] as const) {
      this.layout.names.forEach((name, i) => {
        const a = arrays.get(`${kind}.${name}`);
        const shape = this.layout.shapes[i];
        if (!a) throw new Error(`AdamW.loadState: the checkpoint has no ${kind}.${name}`);
        if (a.shape.join(',') !== shape.join(',')) throw new Error(`AdamW.loadState: ${kind}.${name} has shape [${a.shape}], the model [${shape}]`);
        flat.set(a.data, this.layout.offsets[i]);
      });
    }
    this.t = t;
  }

  /** Nothing to free: the moments are JavaScript arrays (kept for the callers' symmetry with EMA). */
  dispose(): void {}
}
