/** Fully connected layer, torch.nn.Linear. */
import * as tf from './tf.ts';
import { Module, type Init } from './module.ts';
import { kaimingUniformBound, type WeightInit } from './init.ts';
import { linearND } from './ops.ts';

export interface LinearOptions {
  /** Learn an additive bias (torch's `bias=True`). */
  bias?: boolean;
  /** 'torch': weight and bias ~ U(±1/√in) (nn.Linear's default); {std}: weight ~ N(0, std), bias 0. */
  init?: WeightInit;
}

/**
 * y = x·W + b on the last axis of x [..., in] → [..., out].
 *
 * Parameters: `weight` [in, out] (the TRANSPOSE of torch's [out, in], so the forward is a plain matmul:
 * torch_weight = weightᵀ), `bias` [out].
 */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Init,
    opts: LinearOptions = {},
  ) {
    super();
    checkSize('Linear', 'inFeatures', inFeatures);
    checkSize('Linear', 'outFeatures', outFeatures);
    const init = opts.init ?? 'torch';
    const bound = kaimingUniformBound(inFeatures);
    this.weight = this.param('weight', init === 'torch' ? rng.uniform([inFeatures, outFeatures], -bound, bound) : rng.normal([inFeatures, outFeatures], init.std));
    this.bias = (opts.bias ?? true) ? this.param('bias', init === 'torch' ? rng.uniform([outFeatures], -bound, bound) : tf.zeros([outFeatures])) : null;
  }

  /** x [..., in] → [..., out]. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`Linear(${this.inFeatures}→${this.outFeatures}): input must end in ${this.inFeatures}, got [${x.shape.join(', ')}]`);
    }
    return linearND(x, this.weight as tf.Tensor2D, (this.bias ?? undefined) as tf.Tensor1D | undefined);
  }

  /** PyTorch's shape of each parameter (export: weight → transpose). */
  torchShapes(): Record<string, number[]> {
    return { weight: [this.outFeatures, this.inFeatures], ...(this.bias ? { bias: [this.outFeatures] } : {}) };
  }
}

export function checkSize(layer: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${layer}: ${name} must be a positive integer, got ${v}`);
}
