import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { GroupNorm, LayerNorm } from '../../../policies/nn/norm.ts';
import { groupNormRef, layerNormRef, maxRelErr, randn, testRandom } from './reference.ts';
import { checkGrads, inScope, vals } from './grad-check.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Non-trivial affine parameters so their gradients and the forward's use of them are exercised. */
function randomizeAffine(m: GroupNorm | LayerNorm, seed: number): void {
  const rand = testRandom(seed);
  tf.tidy(() => {
    m.weight.assign(tf.add(tf.tensor(randn(m.channels, rand, 0.5)), 1));
    m.bias.assign(tf.tensor(randn(m.channels, rand, 0.5)));
  });
}

describe('GroupNorm', () => {
  it('forward equals torch GroupNorm (stats per sample and group over T and the group channels)', () => {
    const [B, T, C, G] = [2, 5, 6, 3];
    const gn = new GroupNorm(G, C);
    randomizeAffine(gn, 1);
    // Offset and scale per channel so a wrong grouping axis changes the statistics.
    const rand = testRandom(2);
    const x = Float32Array.from(randn(B * T * C, rand), (v, i) => 3 * v * (1 + (i % C)) + (i % C));
    const y = inScope(() => vals(gn.forward(tf.tensor3d(x, [B, T, C]))));
    expect(maxRelErr(y, groupNormRef(x, B, T, C, G, vals(gn.weight), vals(gn.bias), 1e-5))).toBeLessThan(2e-6);
    gn.dispose();
  });

  it('on images [B, H, W, C] normalises each sample and group over all H·W positions (torch on [B, C, H, W])', () => {
    const [B, H, W, C, G] = [2, 3, 4, 8, 2];
    const gn = new GroupNorm(G, C);
    randomizeAffine(gn, 9);
    const x = Float32Array.from(randn(B * H * W * C, testRandom(10)), (v, i) => 2 * v * (1 + (i % C)) - (i % C));
    const y = inScope(() => {
      const t = gn.forward(tf.tensor4d(x, [B, H, W, C]));
      expect(t.shape).toEqual([B, H, W, C]);
      return vals(t);
    });
    expect(maxRelErr(y, groupNormRef(x, B, H * W, C, G, vals(gn.weight), vals(gn.bias), 1e-5))).toBeLessThan(2e-6);
    const xt = tf.tensor4d(randn(2 * 3 * 3 * 4, testRandom(11)), [2, 3, 3, 4]);
    const small = new GroupNorm(2, 4);
    randomizeAffine(small, 12);
    const worst = checkGrads({ inputs: { x: xt }, params: small.namedParameters(), forward: (i) => small.forward(i.x as tf.Tensor4D), coords: 6 });
    console.log('GroupNorm [B, H, W, C]: worst |fd − g|/scale', JSON.stringify(worst));
    tf.dispose([xt]);
    small.dispose();
    gn.dispose();
  });

  it('initialises weight 1, bias 0; has 2C parameters', () => {
    const gn = new GroupNorm(8, 32);
    expect(gn.parameterCount()).toBe(64);
    expect([...new Set(vals(gn.weight))]).toEqual([1]);
    expect([...new Set(vals(gn.bias))]).toEqual([0]);
    gn.dispose();
  });

  it('gradients (input, weight, bias) match finite differences', () => {
    const gn = new GroupNorm(2, 4);
    randomizeAffine(gn, 3);
    const x = tf.tensor3d(randn(2 * 5 * 4, testRandom(4)), [2, 5, 4]);
    checkGrads({ inputs: { x }, params: gn.namedParameters(), forward: (i) => gn.forward(i.x as tf.Tensor3D), coords: 6 });
    x.dispose();
    gn.dispose();
  });

  it('rejects channels not divisible by groups and wrong inputs', () => {
    expect(() => new GroupNorm(8, 12)).toThrow('GroupNorm: channels must be divisible by groups, got 12 channels and 8 groups');
    const gn = new GroupNorm(2, 4);
    expect(() => gn.forward(tf.zeros([2, 4]) as unknown as tf.Tensor3D)).toThrow('GroupNorm(2, 4): input must be [B, T, 4] or [B, H, W, 4], got [2, 4]');
    gn.dispose();
  });
});

describe('LayerNorm', () => {
  it('forward equals torch LayerNorm over the last axis (rank 3)', () => {
    const ln = new LayerNorm(6);
    randomizeAffine(ln, 5);
    const x = Float32Array.from(randn(2 * 3 * 6, testRandom(6)), (v) => 4 * v + 2);
    const y = inScope(() => vals(ln.forward(tf.tensor(x, [2, 3, 6]))));
    expect(maxRelErr(y, layerNormRef(x, 6, 6, vals(ln.weight), vals(ln.bias), 1e-5))).toBeLessThan(2e-6);
    expect(ln.parameterCount()).toBe(12);
    ln.dispose();
  });

  it('gradients (input, weight, bias) match finite differences', () => {
    const ln = new LayerNorm(5);
    randomizeAffine(ln, 7);
    const x = tf.tensor(randn(3 * 5, testRandom(8)), [3, 5]);
    checkGrads({ inputs: { x }, params: ln.namedParameters(), forward: (i) => ln.forward(i.x), coords: 6 });
    x.dispose();
    ln.dispose();
  });
});
