/**
 * 2-D convolution and max-pooling on channels-last images [B, H, W, C] (torch works on [B, C, H, W];
 * transpose once at the model's edge), trainable on tfjs-backend-wasm.
 *
 * wasm has a fast Conv2D (XNNPACK) but no Conv2DBackpropFilter, and its Conv2DBackpropInput is a plain
 * loop, so tfjs's registered conv2d gradient either throws or crawls there. Conv2d therefore runs the
 * forward as tf.conv2d and both gradients as forward convolutions too, with explicit transposes
 * (see conv2dGrad). An im2col + matMul form, as Conv1d uses, was measured slower here: at ResNet-18's
 * layer1 (128 images of 21×21×64, 3×3) the slices and concat of the im2col alone took 3–6× the time of
 * XNNPACK's whole convolution (wasm's Slice copies its entire input per call, its Concat loops per row).
 */
import * as tf from './tf.ts';
import { Module, type Init } from './module.ts';
import { kaimingUniformBound, type WeightInit } from './init.ts';
import { checkSize } from './linear.ts';

export interface Conv2dOptions {
  /** torch default 1. */
  stride?: number;
  /** Zeros on each side of H and W; torch default 0. */
  padding?: number;
  /** torch default true (ResNet's convolutions have none). */
  bias?: boolean;
  /**
   * 'torch': weight and bias ~ U(±1/√(in·k²)) (nn.Conv2d's default); {std}: N(0, std), bias 0 (torchvision's
   * ResNet: kaiming_normal_(mode='fan_out', nonlinearity='relu'), std = √(2/(out·k²))).
   */
  init?: WeightInit;
  /**
   * false for a network's first layer, whose input is data: its input gradient, the costliest of the
   * layer (a full-resolution convolution), is then not computed.
   */
  inputGrad?: boolean;
}

/**
 * torch.nn.Conv2d (square kernel, groups 1, dilation 1, zero padding):
 * y[b, h, w, o] = bias[o] + Σ_{i,j,c} W[i, j, c, o]·xpad[b, h·s + i, w·s + j, c], output size ⌊(H + 2p − k)/s⌋ + 1.
 *
 * Parameters: `weight` [k, k, in, out] (tf.conv2d's filter layout; weight[i, j, c, o] = torch_weight[o, c, i, j],
 * torch's [out, in, k, k] permuted (2, 3, 1, 0)), `bias` [out].
 */
export class Conv2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly padding: number;
  readonly inputGrad: boolean;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    rng: Init,
    opts: Conv2dOptions = {},
  ) {
    super();
    checkSize('Conv2d', 'inChannels', inChannels);
    checkSize('Conv2d', 'outChannels', outChannels);
    checkSize('Conv2d', 'kernelSize', kernelSize);
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.inputGrad = opts.inputGrad ?? true;
    checkSize('Conv2d', 'stride', this.stride);
    if (!Number.isInteger(this.padding) || this.padding < 0) throw new Error(`Conv2d: padding must be a non-negative integer, got ${this.padding}`);
    const init = opts.init ?? 'torch';
    const bound = kaimingUniformBound(inChannels * kernelSize * kernelSize);
    const shape = [kernelSize, kernelSize, inChannels, outChannels];
    this.weight = this.param('weight', init === 'torch' ? rng.uniform(shape, -bound, bound) : rng.normal(shape, init.std));
    this.bias = (opts.bias ?? true) ? this.param('bias', init === 'torch' ? rng.uniform([outChannels], -bound, bound) : tf.zeros([outChannels])) : null;
  }

  /** Output height (or width) for input height H. */
  outSize(H: number): number {
    return Math.floor((H + 2 * this.padding - this.kernelSize) / this.stride) + 1;
  }

  /** x [B, H, W, in] → [B, H', W', out]. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const { inChannels: C, kernelSize: k, stride: s, padding: p } = this;
    if (x.rank !== 4 || x.shape[3] !== C) throw new Error(`Conv2d(${C}→${this.outChannels}, k=${k}): input must be [B, H, W, ${C}], got [${x.shape.join(', ')}]`);
    if (this.outSize(x.shape[1]) < 1 || this.outSize(x.shape[2]) < 1) throw new Error(`Conv2d(k=${k}, s=${s}, p=${p}): input ${x.shape[1]}×${x.shape[2]} is too small`);
    const y = conv2dOp(x, this.weight as tf.Tensor4D, s, p, this.inputGrad);
    return (this.bias ? tf.add(y, this.bias) : y) as tf.Tensor4D;
  }

  torchShapes(): Record<string, number[]> {
    const k = this.kernelSize;
    return { weight: [this.outChannels, this.inChannels, k, k], ...(this.bias ? { bias: [this.outChannels] } : {}) };
  }
}

/**
 * The convolution without bias as a custom-gradient op. Backward, with dY [B, H', W', O]:
 * - dW[i, j, c, o] = Σ_{b,h,w} xpad[b, h·s + i, w·s + j, c]·dY[b, h, w, o]: a stride-1 convolution of xpad with
 *   batch and channels swapped ([C, H, W, B]) by dY as the filter ([H', W', B, O]) dilated by s;
 * - dx[u] = Σ_i dYz[u + p − i]·W[i] (per axis), dYz being dY with s − 1 zeros after each row and column: a
 *   stride-1 convolution of dYz, padded k − 1 − p before, with the kernel flipped and transposed [k, k, O, C].
 * With `inputGrad` false x is not an input of the op, so no gradient flows to it.
 */
function conv2dOp(x: tf.Tensor4D, w: tf.Tensor4D, s: number, p: number, inputGrad: boolean): tf.Tensor4D {
  const f = (...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xx = (inputGrad ? args[0] : x) as tf.Tensor4D;
    const ww = args[inputGrad ? 1 : 0] as tf.Tensor4D;
    save([xx, ww]);
    return {
      value: tf.conv2d(xx, ww, s, p),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as tf.Tensor4D[];
        const g = dy as tf.Tensor4D;
        const dW = filterGrad(sx, g, sw.shape[0], s, p);
        return inputGrad ? [inputGradOf(g, sw, sx.shape[1], sx.shape[2], s, p), dW] : [dW];
      },
    };
  };
  return (inputGrad ? tf.customGrad(f)(x, w) : tf.customGrad(f)(w)) as tf.Tensor4D;
}

function filterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, s: number, p: number): tf.Tensor4D {
  const [, H, W] = x.shape;
  const [, Ho, Wo] = dy.shape;
  // Only the rows and columns the forward read: (H' − 1)·s + k of the padded input.
  const xp = padOrCrop2d(x, p, (Ho - 1) * s + k - H - p, p, (Wo - 1) * s + k - W - p);
  const r = tf.conv2d(tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D, 1, 'valid', 'NHWC', s);
  return tf.transpose(r, [1, 2, 0, 3]) as tf.Tensor4D;
}

function inputGradOf(dy: tf.Tensor4D, w: tf.Tensor4D, H: number, W: number, s: number, p: number): tf.Tensor4D {
  const [B, Ho, Wo, O] = dy.shape;
  const [k, , C] = w.shape;
  let dz: tf.Tensor4D = dy;
  if (s > 1) {
    // s − 1 zeros after every row, then after every column: two rank-4 pads.
    const rows = tf.pad(tf.reshape(dy, [B, Ho, 1, Wo * O]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]);
    const cols = tf.pad(tf.reshape(rows, [B * Ho * s, Wo, 1, O]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]);
    dz = tf.reshape(cols, [B, Ho * s, Wo * s, O]);
  }
  dz = padOrCrop2d(dz, k - 1 - p, H + p - Ho * s, k - 1 - p, W + p - Wo * s);
  // Flip both spatial axes (tap t = i·k + j → k² − 1 − t, one gather: wasm's Reverse is slow), then swap in/out.
  let wf: tf.Tensor = w;
  if (k > 1) wf = tf.reshape(tf.gather(tf.reshape(w, [k * k, C * O]), tf.range(k * k - 1, -1, -1, 'int32')), [k, k, C, O]);
  return tf.conv2d(dz, tf.transpose(wf, [0, 1, 3, 2]) as tf.Tensor4D, 1, 'valid');
}

/** Zero-pads axes 1 and 2 of [B, H, W, C] by the given amounts; negative amounts crop instead. */
function padOrCrop2d(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const [ct, cb, cl, cr] = [top, bottom, left, right].map((v) => Math.max(0, -v));
  let y = ct || cb || cl || cr ? tf.slice(x, [0, ct, cl, 0], [B, H - ct - cb, W - cl - cr, C]) : x;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    y = tf.pad(y, [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
  }
  return y;
}

/**
 * torch.nn.MaxPool2d(k, s, p) on [B, H, W, C]: the padding never wins (torch pads with −∞), output
 * ⌊(H + 2p − k)/s⌋ + 1; each window's dY goes to its argmax.
 *
 * The gradient is wasm's MaxPoolGrad kernel fed a shifted input: that kernel starts every window's running
 * max at FLT_MIN (the smallest positive float), so a window whose values are all ≤ 0 sends its dY to
 * element 0 of the whole tensor — after a ReLU, every all-zero window does. x − min(x) + 1 has the same
 * argmaxes (values closer than float32 rounding at that magnitude tie; ties go to the last in the window,
 * torch's to the first) and no value below 1.
 */
export function maxPool2d(x: tf.Tensor4D, k: number, s: number, p: number): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`maxPool2d: input must be [B, H, W, C], got [${x.shape.join(', ')}]`);
  if (p > k >> 1) throw new Error(`maxPool2d: padding must be at most half the kernel (torch's rule), got k=${k}, p=${p}`);
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xx, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const y = tf.maxPool(xx, k, s, p);
    save([xx, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy] = saved;
        const shift = tf.sub(1, tf.min(sx));
        const attrs = { filterSize: k, strides: s, pad: p } as unknown as tf.NamedAttrMap;
        return tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: tf.add(sx, shift), output: tf.add(sy, shift) }, attrs) as tf.Tensor;
      },
    };
  })(x) as tf.Tensor4D;
}
