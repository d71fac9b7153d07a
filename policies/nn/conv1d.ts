/**
 * 1-D convolutions on channels-last sequences [B, T, C] (torch works on [B, C, T]; transpose once at the
 * model's edge). Both are one 2-D matmul plus slicing, padding and reshapes: tfjs-backend-wasm has no
 * Conv2DBackpropFilter, so tf.conv1d cannot be trained there, and the matmul gets XNNPACK's fast path.
 */
import * as tf from './tf.ts';
import { Module, type Init } from './module.ts';
import { kaimingUniformBound, type WeightInit } from './init.ts';
import { addBias, matmul2d, mulTransA } from './ops.ts';
import { checkSize } from './linear.ts';
import { im2col1d } from './kernels.ts';

export interface Conv1dOptions {
  /** torch default 1. */
  stride?: number;
  /** Zeros on each side of T; default kernelSize >> 1 ("same" length for odd kernels at stride 1, as DP's Conv1dBlock). */
  padding?: number;
  bias?: boolean;
  /** 'torch': weight and bias ~ U(±1/√(in·k)) (nn.Conv1d's default); {std}: N(0, std), bias 0. */
  init?: WeightInit;
}

/**
 * torch.nn.Conv1d (cross-correlation, zero padding): y[b, t, o] = bias[o] + Σ_{j,c} w[o, c, j]·xpad[b, t·s + j, c],
 * output length T' = ⌊(T + 2p − k)/s⌋ + 1.
 *
 * Parameters: `weight` [k·in, out] with weight[j·in + c, o] = torch_weight[o, c, j] (torch's [out, in, k]
 * permuted to [k, in, out] and flattened), `bias` [out].
 *
 * Forward is im2col: k shifted (strided) slices of the padded input concatenated on channels, [B·T', k·in],
 * times the weight, with a hand-written gradient (conv1dIm2col).
 */
export class Conv1d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly padding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    rng: Init,
    opts: Conv1dOptions = {},
  ) {
    super();
    checkSize('Conv1d', 'inChannels', inChannels);
    checkSize('Conv1d', 'outChannels', outChannels);
    checkSize('Conv1d', 'kernelSize', kernelSize);
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? kernelSize >> 1;
    checkSize('Conv1d', 'stride', this.stride);
    if (!Number.isInteger(this.padding) || this.padding < 0) throw new Error(`Conv1d: padding must be a non-negative integer, got ${this.padding}`);
    const init = opts.init ?? 'torch';
    const bound = kaimingUniformBound(inChannels * kernelSize);
    const shape = [kernelSize * inChannels, outChannels];
    this.weight = this.param('weight', init === 'torch' ? rng.uniform(shape, -bound, bound) : rng.normal(shape, init.std));
    this.bias = (opts.bias ?? true) ? this.param('bias', init === 'torch' ? rng.uniform([outChannels], -bound, bound) : tf.zeros([outChannels])) : null;
  }

  /** Output length for input length T. */
  outLength(T: number): number {
    return Math.floor((T + 2 * this.padding - this.kernelSize) / this.stride) + 1;
  }

  /** x [B, T, in] → [B, T', out]. */
  forward(x: tf.Tensor3D): tf.Tensor3D {
    const { inChannels: C, kernelSize: k, stride: s, padding: p } = this;
    if (x.rank !== 3 || x.shape[2] !== C) throw new Error(`Conv1d(${C}→${this.outChannels}, k=${k}): input must be [B, T, ${C}], got [${x.shape.join(', ')}]`);
    const [B, T] = x.shape;
    const To = this.outLength(T);
    if (To < 1) throw new Error(`Conv1d(k=${k}, s=${s}, p=${p}): input length ${T} is too short (output length ${To})`);
    let y: tf.Tensor = conv1dIm2col(x, this.weight as tf.Tensor2D, k, s, p, To);
    if (this.bias) y = addBias(y, this.bias);
    return tf.reshape(y, [B, To, this.outChannels]);
  }

  torchShapes(): Record<string, number[]> {
    return { weight: [this.outChannels, this.inChannels, this.kernelSize], ...(this.bias ? { bias: [this.outChannels] } : {}) };
  }
}

/**
 * The convolution without bias, [B, T, C] → [B·T', O], as a custom-gradient op:
 * forward y = im2col(x)·W; backward dW = colsᵀ·dY and dx = im2col(dY zero-inserted by the stride and
 * padded) · W' with W' the tap-reversed, per-tap-transposed kernel (the input gradient of a convolution is
 * a stride-1 convolution with the flipped kernel). Letting autodiff differentiate the im2col instead costs
 * k slices of the k×-wider dcols, each of which wasm's Slice copies whole (see ops.ts).
 */
function conv1dIm2col(x: tf.Tensor3D, w: tf.Tensor2D, k: number, s: number, p: number, To: number): tf.Tensor2D {
  const [B, T, C] = x.shape;
  const O = w.shape[1];
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xx, ww, save] = args as [tf.Tensor3D, tf.Tensor2D, tf.GradSaveFunc];
    const cols = im2col1d(xx, k, s, p, To);
    save([cols, ww]);
    return {
      value: tf.matMul(cols, ww),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sc, sw] = saved as tf.Tensor2D[];
        const g = dy as tf.Tensor2D;
        // dx[τ] = Σ_j dYz[τ + p − j]·W_jᵀ, dYz being dY with s − 1 zeros after each step: a stride-1
        // im2col of dYz shifted by k − 1 − p, its taps in reverse order so that block j meets W_jᵀ (no
        // tf.reverse: 27 ns/element on wasm).
        const dcols = im2col1d(tf.reshape(g, [B, To, O]), k, 1, k - 1 - p, T, true, s);
        const wT = tf.reshape(tf.transpose(tf.reshape(sw, [k, C, O]), [0, 2, 1]), [k * O, C]);
        return [tf.reshape(tf.matMul(dcols, wT as tf.Tensor2D), [B, T, C]), mulTransA(sc, g)];
      },
    };
  })(x, w) as tf.Tensor2D;
}

export interface ConvTranspose1dOptions {
  /** Defaults k=4, s=2, p=1 are diffusion_policy's Upsample1d (torch's own defaults are s=1, p=0). */
  kernelSize?: number;
  stride?: number;
  padding?: number;
  bias?: boolean;
  /** 'torch': weight and bias ~ U(±1/√(out·k)) (torch reads fan_in from dim 1 of its [in, out, k] weight); {std}: N(0, std), bias 0. */
  init?: WeightInit;
}

/**
 * torch.nn.ConvTranspose1d (output_padding 0, groups 1, dilation 1): every input step i scatters
 * x[b, i, :]·w[:, o, j] to output step i·s − p + j; output length (T − 1)·s − 2p + k.
 *
 * Parameters: `weight` [in, k·out] with weight[c, j·out + o] = torch_weight[c, o, j] (torch's [in, out, k]
 * permuted to [in, k, out] and flattened), `bias` [out].
 *
 * Forward is one matmul [B·T, in]·[in, k·out] giving every tap's contribution, then overlap-add: with
 * tap j = q·s + r, the contribution lands at coarse step i + q, phase r, so Q = ⌈k/s⌉ shifted pads are summed
 * and the phases interleaved by a reshape; finally p steps are cropped from each end. No FLOP is spent
 * on inserted zeros.
 */
export class ConvTranspose1d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    rng: Init,
    opts: ConvTranspose1dOptions = {},
  ) {
    super();
    this.kernelSize = opts.kernelSize ?? 4;
    this.stride = opts.stride ?? 2;
    this.padding = opts.padding ?? 1;
    checkSize('ConvTranspose1d', 'inChannels', inChannels);
    checkSize('ConvTranspose1d', 'outChannels', outChannels);
    checkSize('ConvTranspose1d', 'kernelSize', this.kernelSize);
    checkSize('ConvTranspose1d', 'stride', this.stride);
    if (!Number.isInteger(this.padding) || this.padding < 0) throw new Error(`ConvTranspose1d: padding must be a non-negative integer, got ${this.padding}`);
    const init = opts.init ?? 'torch';
    const bound = kaimingUniformBound(outChannels * this.kernelSize);
    const shape = [inChannels, this.kernelSize * outChannels];
    this.weight = this.param('weight', init === 'torch' ? rng.uniform(shape, -bound, bound) : rng.normal(shape, init.std));
    this.bias = (opts.bias ?? true) ? this.param('bias', init === 'torch' ? rng.uniform([outChannels], -bound, bound) : tf.zeros([outChannels])) : null;
  }

  outLength(T: number): number {
    return (T - 1) * this.stride - 2 * this.padding + this.kernelSize;
  }

  /** x [B, T, in] → [B, (T−1)·s − 2p + k, out]. */
  forward(x: tf.Tensor3D): tf.Tensor3D {
    const { inChannels: C, outChannels: O, kernelSize: k, stride: s, padding: p } = this;
    if (x.rank !== 3 || x.shape[2] !== C) throw new Error(`ConvTranspose1d(${C}→${O}, k=${k}): input must be [B, T, ${C}], got [${x.shape.join(', ')}]`);
    const [B, T] = x.shape;
    const To = this.outLength(T);
    if (To < 1) throw new Error(`ConvTranspose1d(k=${k}, s=${s}, p=${p}): input length ${T} gives output length ${To}`);
    const Q = Math.ceil(k / s);
    let y: tf.Tensor = matmul2d(tf.reshape(x, [B * T, C]) as tf.Tensor2D, this.weight as tf.Tensor2D); // [B·T, k·O]
    if (Q * s > k) y = tf.pad(y, [[0, 0], [0, (Q * s - k) * O]]);
    y = tf.reshape(y, [B, T, Q, s * O]);
    const parts: tf.Tensor[] = [];
    for (let q = 0; q < Q; q++) {
      const part = Q === 1 ? tf.reshape(y, [B, T, s * O]) : tf.reshape(tf.slice(y, [0, 0, q, 0], [B, T, 1, s * O]), [B, T, s * O]);
      parts.push(Q === 1 ? part : tf.pad(part, [[0, 0], [q, Q - 1 - q], [0, 0]]));
    }
    const full = tf.reshape(parts.length === 1 ? parts[0] : tf.addN(parts), [B, (T + Q - 1) * s, O]);
    let out: tf.Tensor = tf.slice(full, [0, p, 0], [B, To, O]);
    if (this.bias) out = addBias(out, this.bias);
    return out as tf.Tensor3D;
  }

  torchShapes(): Record<string, number[]> {
    return { weight: [this.inChannels, this.outChannels, this.kernelSize], ...(this.bias ? { bias: [this.outChannels] } : {}) };
  }
}
