import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { groupNormMish, groupNormMishOps, type GnMishOptions } from '../../../policies/nn/fused.ts';
import { groupNormRef, maxRelErr, randn, testRandom } from './reference.ts';
import { checkGrads } from './grad-check.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

const mishRef = (z: number) => z * Math.tanh(Math.log1p(Math.exp(z)));

/** film(mish(GroupNorm(x))) in float64, from torch's definitions. */
function reference(x: Float32Array, B: number, L: number, C: number, G: number, w: Float32Array, b: Float32Array, e: Float32Array | null, film: GnMishOptions['film']): Float64Array {
  const y = groupNormRef(x, B, L, C, G, w, b, 1e-5).map(mishRef);
  if (!e) return y;
  for (let i = 0; i < y.length; i++) {
    const bb = Math.floor(i / (L * C));
    const c = i % C;
    y[i] = film === 'scale' ? y[i] * e[bb * 2 * C + c] + e[bb * 2 * C + C + c] : y[i] + e[bb * C + c];
  }
  return y;
}

const FILMS: Array<GnMishOptions['film']> = ['scale', 'bias', undefined];

describe('GroupNorm → Mish → FiLM, fused', () => {
  it.each(FILMS)('forward equals the float64 definition and the tf-op composition (film %s)', (film) => {
    const [B, L, C, G] = [3, 5, 8, 4];
    const rand = testRandom(7);
    // Channel offsets and scales, so a wrong grouping changes the statistics; z reaches the Mish tails.
    const x = Float32Array.from(randn(B * L * C, rand), (v, i) => 4 * v * (1 + (i % C)) + (i % C));
    const w = Float32Array.from(randn(C, rand), (v) => 1 + 2 * v);
    const b = randn(C, rand, 3);
    const e = film ? randn(B * C * (film === 'scale' ? 2 : 1), rand) : null;
    const ref = reference(x, B, L, C, G, w, b, e, film);
    const args = () => [tf.tensor3d(x, [B, L, C]), tf.tensor1d(w), tf.tensor1d(b), e ? tf.tensor2d(e, [B, e.length / B]) : null] as const;
    const before = tf.memory().numTensors;
    const fused = tf.tidy(() => {
      const [xt, wt, bt, et] = args();
      return groupNormMish(xt, wt, bt, et, { groups: G, eps: 1e-5, film });
    });
    const ops = tf.tidy(() => {
      const [xt, wt, bt, et] = args();
      return groupNormMishOps(xt, wt, bt, et, { groups: G, eps: 1e-5, film });
    });
    expect(maxRelErr(fused.dataSync(), ref)).toBeLessThan(2e-6);
    expect(maxRelErr(ops.dataSync(), ref)).toBeLessThan(2e-5);
    tf.dispose([fused, ops]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(FILMS)('gradients (x, γ, β, FiLM) match finite differences and the tf-op autodiff (film %s)', (film) => {
    const [B, L, C, G] = [2, 4, 6, 3];
    const rand = testRandom(11);
    const x = tf.tensor3d(randn(B * L * C, rand, 2), [B, L, C]);
    const e = film ? tf.tensor2d(randn(B * C * (film === 'scale' ? 2 : 1), rand), [B, C * (film === 'scale' ? 2 : 1)]) : null;
    const gamma = tf.variable(tf.tensor1d(Float32Array.from(randn(C, rand), (v) => 1 + 0.5 * v)));
    const beta = tf.variable(tf.tensor1d(randn(C, rand, 0.5)));
    const params = new Map([
      ['gamma', gamma],
      ['beta', beta],
    ]);
    const o = { groups: G, eps: 1e-5, film };
    checkGrads({ inputs: { x, ...(e ? { e } : {}) }, params, coords: 6, forward: (i) => groupNormMish(i.x, gamma as tf.Variable<tf.Rank.R1>, beta as tf.Variable<tf.Rank.R1>, (i.e ?? null) as tf.Tensor2D | null, o) });
    // Against the composition's gradients on every coordinate.
    const r = tf.tensor3d(randn(B * L * C, rand), [B, L, C]);
    const grads = (f: typeof groupNormMish) =>
      tf.tidy(() => {
        const g = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor, ee?: tf.Tensor) => tf.sum(tf.mul(f(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, (ee ?? null) as tf.Tensor2D | null, o), r)));
        return g(e ? [x, gamma, beta, e] : [x, gamma, beta]).map((t) => Array.from(t.dataSync()));
      });
    const fused = grads(groupNormMish);
    const ops = grads(groupNormMishOps);
    fused.forEach((g, k) => {
      const scale = Math.max(...ops[k].map(Math.abs));
      g.forEach((v, i) => expect(Math.abs(v - ops[k][i]), `input ${k}[${i}]`).toBeLessThan(1e-4 * scale));
    });
    tf.dispose([x, r, gamma, beta, ...(e ? [e] : [])]);
  });

  it('normalizes in our kernels and takes Mish from the sigmoid on wasm (no Tanh, Softplus or group reductions)', async () => {
    const x = tf.randomNormal([2, 4, 6]);
    const g = tf.ones([6]) as tf.Tensor1D;
    const b = tf.zeros([6]) as tf.Tensor1D;
    const prof = await tf.profile(() => tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(groupNormMish(xx, g, b, null, { groups: 3, eps: 1e-5 })))(x)));
    const names = prof.kernels.map((k) => k.name);
    expect(names).toContain('DpbenchGroupNormalize');
    expect(names).toContain('DpbenchGroupNormalizeGrad');
    expect(names.filter((n) => /Tanh|Softplus|Mean|Rsqrt|Transpose/.test(n))).toEqual([]);
    tf.dispose([x, g, b]);
  });

  it('normalises 4-D inputs over all middle positions, and names bad FiLM shapes', () => {
    const [B, H, W, C] = [2, 3, 2, 4];
    const xs = randn(B * H * W * C, testRandom(3), 2);
    const w = new Float32Array(C).fill(1);
    const b = new Float32Array(C);
    const y = tf.tidy(() => groupNormMish(tf.tensor4d(xs, [B, H, W, C]), tf.tensor1d(w), tf.tensor1d(b), null, { groups: 2, eps: 1e-5 }).dataSync());
    expect(maxRelErr(y, reference(xs, B, H * W, C, 2, w, b, null, undefined))).toBeLessThan(2e-6);
    tf.tidy(() => {
      const x = tf.zeros([2, 3, 4]);
      expect(() => groupNormMish(x, tf.ones([4]), tf.zeros([4]), tf.zeros([2, 4]) as tf.Tensor2D, { groups: 2, eps: 1e-5, film: 'scale' })).toThrow(
        'groupNormMish: film scale needs e of shape [2, 8], got [2, 4]',
      );
      expect(() => groupNormMish(x, tf.ones([4]), tf.zeros([4]), null, { groups: 3, eps: 1e-5 })).toThrow('groupNormMish: channels (4) must be divisible by groups (3)');
    });
  });
});
