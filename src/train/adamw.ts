/**
 * AdamW (Loshchilov & Hutter), computed as PyTorch's `torch.optim.AdamW` does, so the same gradients give
 * the same weights: p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε). Weight decay is per parameter (the original
 * transformer decays only Linear/attention weights; the U-Net decays everything).
 */
import * as tf from '../../policies/nn/tf.ts';

export interface AdamWConfig {
  betas: [number, number];
  eps: number;
}

export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  /** Optimizer steps taken (PyTorch's per-parameter `step`, shared here). */
  t = 0;

  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly weightDecay: (name: string) => number,
    private readonly cfg: AdamWConfig,
  ) {
    for (const [name, p] of params) {
      for (const store of [this.m, this.v]) {
        const zeros = tf.zerosLike(p);
        store.set(name, tf.variable(zeros, false));
        zeros.dispose();
      }
    }
  }

  /** One update with learning rate `lr`; `grads` holds one gradient per parameter name. */
  step(grads: Record<string, tf.Tensor>, lr: number): void {
    this.t++;
    const [b1, b2] = this.cfg.betas;
    const bc1 = 1 - b1 ** this.t;
    const sqrtBc2 = Math.sqrt(1 - b2 ** this.t);
    const stepSize = lr / bc1;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (!g) throw new Error(`AdamW: no gradient for parameter ${name}`);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const wd = this.weightDecay(name);
        const decayed = wd > 0 ? tf.mul(p, 1 - lr * wd) : p;
        const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        const denom = tf.add(tf.div(tf.sqrt(v1), sqrtBc2), this.cfg.eps);
        m.assign(m1);
        v.assign(v1);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m1, denom), stepSize)));
      }
    });
  }

  /** Moments by name (`m.<param>`, `v.<param>`) for checkpoints. */
  stateArrays(): Map<string, { data: Float32Array; shape: number[] }> {
    const out = new Map<string, { data: Float32Array; shape: number[] }>();
    for (const [name, m] of this.m) out.set(`m.${name}`, { data: m.dataSync() as Float32Array, shape: m.shape });
    for (const [name, v] of this.v) out.set(`v.${name}`, { data: v.dataSync() as Float32Array, shape: v.shape });
    return out;
  }

  loadStateArrays(arrays: Map<string, { data: Float32Array | Int32Array; shape: number[] }>, t: number): void {
    for (const [kind, store] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, variable] of store) {
        const a = arrays.get(`${kind}.${name}`);
        if (!a) throw new Error(`AdamW.loadState: the checkpoint has no ${kind}.${name}`);
        if (a.shape.join(',') !== variable.shape.join(',')) throw new Error(`AdamW.loadState: ${kind}.${name} has shape [${a.shape}], the model [${variable.shape}]`);
        tf.tidy(() => variable.assign(tf.tensor(a.data, variable.shape, 'float32')));
      }
    }
    this.t = t;
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}
