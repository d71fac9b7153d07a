/** torch.nn.Dropout with masks from a seeded JS stream, so training is reproducible on every backend. */
import * as tf from './tf.ts';
import { Module } from './module.ts';
import { Rng } from './init.ts';

/**
 * In training mode zeroes each element with probability p and scales the rest by 1/(1 − p); identity
 * otherwise (and when p = 0). Masks come from `rng`: pass one Rng shared by all of a model's dropout
 * layers (its state goes into checkpoints) or a seed for a private stream.
 */
export class Dropout extends Module {
  readonly rng: Rng;

  constructor(
    readonly p: number,
    rng: Rng | number,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
    this.rng = typeof rng === 'number' ? new Rng(rng) : rng;
  }

  /** x (any shape) → same shape. */
  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    const n = x.size;
    const mask = new Float32Array(n);
    const keep = this.p === 1 ? 0 : 1 / (1 - this.p);
    for (let i = 0; i < n; i++) mask[i] = this.rng.float() < this.p ? 0 : keep;
    return tf.mul(x, tf.tensor(mask, x.shape, 'float32'));
  }
}
