/** Normalisation layers on channels-last tensors. Biased variance, eps inside the square root, as torch. */
import * as tf from './tf.ts';
import { Module } from './module.ts';
import { meanVar } from './ops.ts';
import { checkSize } from './linear.ts';

/**
 * torch.nn.GroupNorm(groups, C, eps) on channels-last x [B, T, C] or [B, H, W, C] (torch's [B, C, …]
 * transposed): channels are split into `groups` contiguous groups of C/groups, each sample and group is
 * normalised over every position (T, or H·W) and its channels, then y = x̂·weight + bias per channel.
 * Parameters `weight` [C] = 1, `bias` [C] = 0.
 */
export class GroupNorm extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    readonly groups: number,
    readonly channels: number,
    readonly eps = 1e-5,
  ) {
    super();
    checkSize('GroupNorm', 'groups', groups);
    checkSize('GroupNorm', 'channels', channels);
    if (channels % groups !== 0) throw new Error(`GroupNorm: channels must be divisible by groups, got ${channels} channels and ${groups} groups`);
    this.weight = this.param('weight', tf.ones([channels]));
    this.bias = this.param('bias', tf.zeros([channels]));
  }

  /** x [B, T, C] or [B, H, W, C] → the same shape. */
  forward<T extends tf.Tensor3D | tf.Tensor4D>(x: T): T {
    const { groups: G, channels: C } = this;
    if ((x.rank !== 3 && x.rank !== 4) || x.shape[x.rank - 1] !== C) {
      throw new Error(`GroupNorm(${G}, ${C}): input must be [B, T, ${C}] or [B, H, W, ${C}], got [${x.shape.join(', ')}]`);
    }
    const xg = tf.reshape(x, [x.shape[0], -1, G, C / G]);
    const { mean, variance } = meanVar(xg, [1, 3]);
    const xhat = tf.reshape(tf.mul(tf.sub(xg, mean), tf.rsqrt(tf.add(variance, this.eps))), x.shape);
    return tf.add(tf.mul(xhat, this.weight), this.bias) as T;
  }
}

/** torch.nn.LayerNorm(C, eps) over the last axis; `weight` [C] = 1, `bias` [C] = 0. */
export class LayerNorm extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    readonly channels: number,
    readonly eps = 1e-5,
  ) {
    super();
    checkSize('LayerNorm', 'channels', channels);
    this.weight = this.param('weight', tf.ones([channels]));
    this.bias = this.param('bias', tf.zeros([channels]));
  }

  /** x [..., C] → [..., C]. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.channels) throw new Error(`LayerNorm(${this.channels}): input must end in ${this.channels}, got [${x.shape.join(', ')}]`);
    const { mean, variance } = meanVar(x, [x.rank - 1]);
    const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
    return tf.add(tf.mul(xhat, this.weight), this.bias);
  }
}
