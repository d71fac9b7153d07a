/** Diffusion-step embedding, diffusion_policy's model/diffusion/positional_embedding.py. */
import * as tf from './tf.ts';
import { Module } from './module.ts';

/**
 * SinusoidalPosEmb(dim): t [B] → [B, dim] = concat(sin(t·f_k), cos(t·f_k)) for k = 0…half−1, with
 * half = dim/2 and f_k = exp(−k·ln(10000)/(half − 1)). No parameters. `dim` must be even and ≥ 4 (torch
 * would silently drop a column for odd dim and divide by zero for dim 2).
 */
export class SinusoidalPosEmb extends Module {
  private readonly freqs: Float32Array;

  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim) || dim < 4 || dim % 2 !== 0) throw new Error(`SinusoidalPosEmb: dim must be an even integer ≥ 4, got ${dim}`);
    const half = dim / 2;
    this.freqs = new Float32Array(half);
    for (let k = 0; k < half; k++) this.freqs[k] = Math.exp((-k * Math.log(10000)) / (half - 1));
  }

  /** t [B] (diffusion steps, any real) → [B, dim]. */
  forward(t: tf.Tensor1D): tf.Tensor2D {
    if (t.rank !== 1) throw new Error(`SinusoidalPosEmb(${this.dim}): t must be [B], got [${t.shape.join(', ')}]`);
    const arg = tf.mul(tf.expandDims(tf.cast(t, 'float32'), 1), tf.tensor2d(this.freqs, [1, this.freqs.length]));
    return tf.concat([tf.sin(arg), tf.cos(arg)], 1) as tf.Tensor2D;
  }
}
