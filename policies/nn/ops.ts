/**
 * Differentiable building blocks that stay on tfjs-backend-wasm's fast paths.
 *
 * Measured on wasm (XNNPACK, SIMD, one thread): a plain 2-D `tf.matMul(a, b)` runs at ~30 GFLOP/s, but
 * `tf.matMul(a, b, false, true)` is ~10× and `tf.matMul(a, b, true, false)` ~30× slower (naive loops), and
 * tfjs's registered matMul gradient uses exactly those flags. An explicit `tf.transpose` then a plain
 * product is 10–30× faster than the flagged product, so `matmul2d` transposes explicitly in its gradient
 * and every layer here funnels its weights through it. Batched (rank-3, batch > 1) matMul is always the
 * naive loop, flags or not (same speed measured both ways).
 */
import * as tf from './tf.ts';
import { sumToChannels } from './kernels.ts';

/**
 * a·b for a [m, k] and b [k, n] (torch.mm), differentiable with gradients built from plain products of
 * explicitly transposed tensors: dA = dY·Bᵀ = (B·dYᵀ)ᵀ and dB = Aᵀ·dY = (dYᵀ·A)ᵀ. A wasm transpose is not
 * cheap (transposing [1024, 1280] took 12–27 ms, about as long as the [1024, 1280]·[1280, 256] product),
 * so each gradient takes whichever form transposes
 * fewer elements: k·n vs m·(n + k) for dA, m·k vs n·(m + k) for dB. Measured, that picks the faster form in
 * every shape tried (conv im2col, attention projections, batch-64 MLPs); for Conv1d's dB it saves ~35%.
 */
export function matmul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
    throw new Error(`matmul2d: expected a [m, k] and b [k, n], got a [${a.shape.join(', ')}] and b [${b.shape.join(', ')}]`);
  }
  return matmul2dGrad(a, b);
}

const t2 = (x: tf.Tensor) => tf.transpose(x) as tf.Tensor2D;

/** g·bᵀ for g [m, n], b [k, n], as dY·Bᵀ or (B·dYᵀ)ᵀ, whichever transposes fewer elements (see matmul2d). */
export function mulTransB(g: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [m, n] = g.shape;
  const k = b.shape[0];
  return k * n <= m * (n + k) ? tf.matMul(g, t2(b)) : t2(tf.matMul(b, t2(g)));
}

/** aᵀ·g for a [m, k], g [m, n], as Aᵀ·dY or (dYᵀ·A)ᵀ, whichever transposes fewer elements (see matmul2d). */
export function mulTransA(a: tf.Tensor2D, g: tf.Tensor2D): tf.Tensor2D {
  const [m, k] = a.shape;
  const n = g.shape[1];
  return m * k <= n * (m + k) ? tf.matMul(t2(a), g) : t2(tf.matMul(t2(g), a));
}

const matmul2dGrad = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      return [mulTransB(dy as tf.Tensor2D, sb), mulTransA(sa, dy as tf.Tensor2D)];
    },
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * y + b for y [..., C] and b [C], with the bias gradient summed by `sumToChannels` (tfjs's own reduces
 * over the rows through a transpose on wasm).
 */
export const addBias = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [y, b] = args as [tf.Tensor, tf.Tensor];
  return {
    value: tf.add(y, b),
    gradFunc: (dy: tf.Tensor) => [dy, sumToChannels(dy)],
  };
}) as (y: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * x·w + b over the last axis of x [..., in] with w [in, out] and b [out] (F.linear with the weight stored
 * transposed): leading axes are folded into one so the product is a single 2-D matmul.
 */
export function linearND(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const inF = w.shape[0];
  const outF = w.shape[1];
  if (x.rank < 1 || x.shape[x.rank - 1] !== inF) {
    throw new Error(`linearND: x must end in the weight's input size ${inF}, got x [${x.shape.join(', ')}] for w [${w.shape.join(', ')}]`);
  }
  if (b && (b.rank !== 1 || b.shape[0] !== outF)) throw new Error(`linearND: bias must be [${outF}], got [${b.shape.join(', ')}]`);
  const lead = x.shape.slice(0, -1);
  let y: tf.Tensor = matmul2d(tf.reshape(x, [-1, inF]), w);
  if (b) y = addBias(y, b);
  return tf.reshape(y, [...lead, outF]);
}

/** Mish (torch.nn.Mish): x·tanh(softplus(x)). tfjs's softplus is overflow-safe (softplus(100) = 100). */
export function mish(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.tanh(tf.softplus(x)));
}

/**
 * GELU in the exact erf form, torch.nn.GELU() (approximate='none'): 0.5·x·(1 + erf(x/√2)). The wasm
 * backend has an Erf kernel (accurate to float32 rounding against a float64 series, see ops.test.ts) and
 * tfjs registers its gradient, so the tanh approximation is not needed.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/**
 * softmax over the last axis (torch.softmax(x, -1)), optionally after adding `bias` (broadcast; −Infinity
 * entries give weight 0, as a masked_fill(-inf) does in PyTorch; a row with no finite entry is NaN there
 * too).
 */
export function softmaxLastAxis(x: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  return tf.softmax(bias ? tf.add(x, bias) : x, -1);
}

/** Mean and biased (1/N) variance over `axes`, keepDims: the statistics of torch's GroupNorm and LayerNorm. */
export function meanVar(x: tf.Tensor, axes: number[]): { mean: tf.Tensor; variance: tf.Tensor } {
  const mean = tf.mean(x, axes, true);
  const variance = tf.mean(tf.square(tf.sub(x, mean)), axes, true);
  return { mean, variance };
}
