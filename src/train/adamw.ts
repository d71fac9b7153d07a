/**
 * AdamW (Loshchilov & Hutter), computed as PyTorch's `torch.optim.AdamW` does, so the same gradients give
 * the same weights: p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε). Weight decay is per parameter (the original
 * transformer decays only Linear/attention weights; the U-Net decays everything).
 *
 * One fused loop over the flat parameter vector (param-layout.ts) instead of a dozen tensor ops per
 * parameter: every operation is rounded to float32 as a float32 tensor op would be (torch's CPU kernels,
 * and tfjs's, compute in float32), so the result is the same as the op-by-op form, bit for bit.
 */
import * as tf from '../../policies/nn/tf.ts';
import { ParamLayout } from './param-layout.ts';

export interface AdamWConfig {
  betas: [number, number];
  eps: number;
}

const f = Math.fround;

export class AdamW {
  readonly layout: ParamLayout;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly decay: number[];
  /** Optimizer steps taken (PyTorch's per-parameter `step`, shared here). */
  t = 0;

  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    weightDecay: (name: string) => number,
    private readonly cfg: AdamWConfig,
  ) {
    this.layout = new ParamLayout(params);
    this.m = new Float32Array(this.layout.total);
    this.v = new Float32Array(this.layout.total);
    this.decay = this.layout.names.map(weightDecay);
  }

  /** One update of the flat parameters `p` (layout order, in place) with the flat gradient `g`. */
  stepFlat(p: Float32Array, g: Float32Array, lr: number): void {
    const { layout, m, v } = this;
    if (p.length !== layout.total || g.length !== layout.total) {
      throw new Error(`AdamW: expected ${layout.total} parameters and gradients, got ${p.length} and ${g.length}`);
    }
    this.t++;
    const [b1, b2] = this.cfg.betas;
    // The scalars as float32 tensor ops see them.
    const fb1 = f(b1);
    const f1b1 = f(1 - b1);
    const fb2 = f(b2);
    const f1b2 = f(1 - b2);
    const sqrtBc2 = f(Math.sqrt(1 - b2 ** this.t));
    const stepSize = f(lr / (1 - b1 ** this.t));
    const eps = f(this.cfg.eps);
    for (let k = 0; k < layout.names.length; k++) {
      const wd = this.decay[k];
      const keep = f(1 - lr * wd);
      const end = layout.offsets[k] + layout.sizes[k];
      for (let i = layout.offsets[k]; i < end; i++) {
        const gi = g[i];
        const m1 = f(f(m[i] * fb1) + f(gi * f1b1));
        const v1 = f(f(v[i] * fb2) + f(f(gi * gi) * f1b2));
        const denom = f(f(f(Math.sqrt(v1)) / sqrtBc2) + eps);
        const decayed = wd > 0 ? f(p[i] * keep) : p[i];
        m[i] = m1;
        v[i] = v1;
        p[i] = f(decayed - f(f(m1 / denom) * stepSize));
      }
    }
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
