import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { gelu, linearND, matmul2d, mish, softmaxLastAxis } from '../../../policies/nn/ops.ts';
import { erfRef, linearRef, maxRelErr, permute, randn, testRandom } from './reference.ts';
import { checkGrads, inScope, vals } from './grad-check.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('matmul2d', () => {
  // Shapes chosen so each gradient takes each of its two forms (dY·Bᵀ or (B·dYᵀ)ᵀ; Aᵀ·dY or (dYᵀ·A)ᵀ).
  it.each([[7, 5, 3], [2, 6, 9], [9, 8, 2]])('equals tfjs matMul and its gradients on the cpu backend (reference), [%i, %i]·[%i, …]', async (m, k, n) => {
    const rand = testRandom(m);
    const a = randn(m * k, rand), b = randn(k * n, rand), r = randn(m * n, rand);
    const run = (mm: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor2D) =>
      inScope(() => {
        const A = tf.tensor2d(a, [m, k]), Bt = tf.tensor2d(b, [k, n]), R = tf.tensor2d(r, [m, n]);
        const y = mm(A, Bt);
        const [ga, gb] = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(mm(x as tf.Tensor2D, w as tf.Tensor2D), R)))([A, Bt]);
        return [vals(y), vals(ga), vals(gb)];
      });
    await tf.setBackend('cpu');
    const ref = run((x, y) => tf.matMul(x, y));
    await tf.setBackend('wasm');
    const ours = run(matmul2d);
    for (let i = 0; i < 3; i++) expect(maxRelErr(ours[i], ref[i])).toBeLessThan(1e-6);
  });

  it('rejects mismatched shapes, naming them', () => {
    expect(() => matmul2d(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([4, 5]) as tf.Tensor2D)).toThrow(/got a \[2, 3\] and b \[4, 5\]/);
  });
});

describe('linearND', () => {
  it('applies [in, out] weights to the last axis of a rank-4 input', () => {
    const rand = testRandom(2);
    const x = randn(2 * 3 * 2 * 4, rand), w = randn(4 * 5, rand), b = randn(5, rand);
    const y = inScope(() => vals(linearND(tf.tensor(x, [2, 3, 2, 4]), tf.tensor2d(w, [4, 5]), tf.tensor1d(b))));
    expect(maxRelErr(y, linearRef(x, 12, permute(w, [4, 5], [1, 0]), 4, 5, b))).toBeLessThan(1e-6);
    expect(() => linearND(tf.zeros([2, 3]), tf.zeros([4, 5]) as tf.Tensor2D)).toThrow(/end in the weight's input size 4, got x \[2, 3\]/);
  });
});

describe('activations', () => {
  const xs = [-30, -5, -2, -0.5, 0, 0.3, 1, 2.5, 6, 30];
  it('mish(x) = x·tanh(ln(1 + eˣ))', () => {
    const y = inScope(() => vals(mish(tf.tensor(xs))));
    expect(maxRelErr(y, xs.map((x) => x * Math.tanh(Math.log1p(Math.exp(x)))))).toBeLessThan(2e-6);
  });

  it('gelu(x) = x·Φ(x) with erf from a float64 series', () => {
    const y = inScope(() => vals(gelu(tf.tensor(xs.filter((x) => Math.abs(x) < 10)))));
    const ref = xs.filter((x) => Math.abs(x) < 10).map((x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2)));
    expect(maxRelErr(y, ref)).toBeLessThan(2e-6);
  });

  it('softmaxLastAxis with a −Infinity bias gives those entries weight 0', () => {
    const y = inScope(() => vals(softmaxLastAxis(tf.tensor2d([[1, 2, 3], [0, 0, 0]]), tf.tensor2d([[0, -Infinity, 0], [0, 0, 0]]))));
    const e = Math.exp(1) + Math.exp(3);
    expect(maxRelErr(y, [Math.exp(1) / e, 0, Math.exp(3) / e, 1 / 3, 1 / 3, 1 / 3])).toBeLessThan(1e-6);
    // A row with nothing allowed is NaN, as torch.softmax of an all −inf row.
    expect(inScope(() => vals(softmaxLastAxis(tf.tensor2d([[1, 2]]), tf.tensor2d([[-Infinity, -Infinity]]))))).toEqual(new Float64Array([NaN, NaN]));
  });

  it('mish, gelu and softmax gradients match finite differences', () => {
    const x = tf.tensor(randn(24, testRandom(3), 2), [4, 6]);
    for (const f of [mish, gelu, (t: tf.Tensor) => softmaxLastAxis(t)]) checkGrads({ inputs: { x }, params: new Map(), forward: (i) => f(i.x), coords: 6 });
    x.dispose();
  });
});
