import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { makeInit } from '../../../policies/nn/init.ts';
import { Conv2d, maxPool2d } from '../../../policies/nn/conv2d.ts';
import { conv2dRef, maxPool2dRef, maxRelErr, permute, randn, testRandom } from './reference.ts';
import { checkGrads, inScope, vals } from './grad-check.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

/** The layer's weight [k, k, in, out] in torch's [out, in, k, k] layout. */
const torchWeight = (c: Conv2d) => permute(vals(c.weight), [c.kernelSize, c.kernelSize, c.inChannels, c.outChannels], [3, 2, 0, 1]);

describe('Conv2d', () => {
  // [k, stride, padding, H, W]: ResNet's 3×3 (s1 and s2), its 7×7 s2 stem, the 1×1 s2 shortcut and the spatial
  // softmax's 1×1; shapes whose strided window leaves rows unread ((H + 2p − k) mod s ≠ 0), even kernels.
  const cases: [number, number, number, number, number][] = [
    [3, 1, 1, 6, 5], [3, 2, 1, 7, 7], [3, 2, 1, 6, 6], [7, 2, 3, 12, 11], [1, 2, 0, 5, 6], [1, 1, 0, 3, 3], [2, 3, 0, 8, 7], [4, 2, 1, 9, 8],
  ];
  for (const [k, s, p, H, W] of cases) {
    it(`forward equals torch Conv2d (k=${k}, s=${s}, p=${p}, ${H}×${W}) with weight[i, j, c, o] = torch[o, c, i, j]`, () => {
      const [B, C, O] = [2, 3, 4];
      const conv = new Conv2d(C, O, k, makeInit(k * 10 + s), { stride: s, padding: p });
      const x = randn(B * H * W * C, testRandom(k + s + p + H));
      const y = inScope(() => {
        const t = conv.forward(tf.tensor4d(x, [B, H, W, C]));
        return { shape: t.shape, v: vals(t) };
      });
      const ref = conv2dRef(x, B, H, W, C, torchWeight(conv), O, k, s, p, vals(conv.bias!));
      expect(y.shape).toEqual([B, ref.Ho, ref.Wo, O]);
      expect([conv.outSize(H), conv.outSize(W)]).toEqual([ref.Ho, ref.Wo]);
      expect(maxRelErr(y.v, ref.y)).toBeLessThan(1e-6);
      conv.dispose();
    });
  }

  it.each(cases)('gradients (input, weight, bias) match finite differences (k=%i, s=%i, p=%i, %i×%i)', (k, s, p, H, W) => {
    const conv = new Conv2d(3, 4, k, makeInit(5), { stride: s, padding: p });
    const x = tf.tensor4d(randn(2 * H * W * 3, testRandom(6)), [2, H, W, 3]);
    const worst = checkGrads({ inputs: { x }, params: conv.namedParameters(), forward: (i) => conv.forward(i.x as tf.Tensor4D), coords: 5 });
    console.log(`Conv2d k=${k} s=${s} p=${p} ${H}×${W}: worst |fd − g|/scale`, JSON.stringify(worst));
    x.dispose();
    conv.dispose();
  });

  it('with inputGrad false gives the same weight gradient and none for the input', () => {
    const x = tf.tensor4d(randn(2 * 9 * 9 * 3, testRandom(7)), [2, 9, 9, 3]);
    const weightGrad = (inputGrad: boolean) => {
      const conv = new Conv2d(3, 4, 7, makeInit(8), { stride: 2, padding: 3, bias: false, inputGrad });
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(conv.forward(x))) as tf.Scalar, [conv.weight]);
      const out = vals(grads[conv.weight.name]);
      tf.dispose([value, ...Object.values(grads)]);
      conv.dispose();
      return out;
    };
    expect(maxRelErr(weightGrad(false), weightGrad(true))).toBeLessThan(1e-6);
    const conv = new Conv2d(3, 4, 3, makeInit(9), { inputGrad: false });
    expect(() => tf.grad((xx: tf.Tensor) => tf.sum(conv.forward(xx as tf.Tensor4D)))(x)).toThrow(/Cannot compute gradient/);
    conv.dispose();
    x.dispose();
  });

  it('has k²·in·out + out parameters; torch shape [out, in, k, k]', () => {
    const conv = new Conv2d(6, 10, 3, makeInit(0));
    expect(conv.parameterCount()).toBe(3 * 3 * 6 * 10 + 10);
    expect(conv.torchShapes()).toEqual({ weight: [10, 6, 3, 3], bias: [10] });
    const noBias = new Conv2d(3, 64, 7, makeInit(0), { bias: false, init: { std: Math.sqrt(2 / (64 * 49)) } });
    expect(noBias.parameterCount()).toBe(9408); // torchvision resnet18.conv1
    conv.dispose();
    noBias.dispose();
  });

  it('names shapes in errors', () => {
    const conv = new Conv2d(3, 4, 5, makeInit(0));
    expect(() => conv.forward(tf.zeros([2, 8, 8, 5]) as tf.Tensor4D)).toThrow('Conv2d(3→4, k=5): input must be [B, H, W, 3], got [2, 8, 8, 5]');
    expect(() => conv.forward(tf.zeros([2, 3, 8, 3]) as tf.Tensor4D)).toThrow('Conv2d(k=5, s=1, p=0): input 3×8 is too small');
    conv.dispose();
  });
});

describe('maxPool2d', () => {
  it('equals torch MaxPool2d(3, 2, 1): padding never wins, even over all-negative inputs', () => {
    const [B, H, W, C] = [2, 9, 8, 3];
    const rand = testRandom(11);
    const x = Float32Array.from(randn(B * H * W * C, rand), (v) => -3 - Math.abs(v));
    const y = inScope(() => vals(maxPool2d(tf.tensor4d(x, [B, H, W, C]), 3, 2, 1)));
    const ref = maxPool2dRef(x, B, H, W, C, 3, 2, 1);
    expect(y.length).toBe(B * ref.Ho * ref.Wo * C);
    expect([ref.Ho, ref.Wo]).toEqual([5, 4]);
    expect(maxRelErr(y, ref.y)).toBeLessThan(1e-7);
  });

  it('gradient matches finite differences (distinct values, so no argmax flips within the step)', () => {
    const [B, H, W, C] = [2, 7, 6, 2];
    const n = B * H * W * C;
    const rand = testRandom(12);
    // A random permutation of 0.1·i: neighbours differ by ≥ 0.1, far more than the 2·1e-2 FD step.
    const order = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5);
    const x = tf.tensor4d(Float32Array.from(order, (i) => 0.1 * i - 0.05 * n), [B, H, W, C]);
    const worst = checkGrads({ inputs: { x }, params: new Map(), forward: (i) => maxPool2d(i.x as tf.Tensor4D, 3, 2, 1), coords: 40 });
    console.log('maxPool2d(3, 2, 1): worst |fd − g|/scale', JSON.stringify(worst));
    x.dispose();
  });

  it('sends an all-zero window\'s gradient into that window (wasm\'s MaxPoolGrad alone sends it to element 0)', () => {
    // After a ReLU: one positive pixel at (0, 0), zeros elsewhere. Only output (0, 0) of 3×3 reads it.
    const x = tf.tensor4d(Float32Array.from({ length: 36 }, (_, i) => (i === 0 ? 5 : 0)), [1, 6, 6, 1]);
    const g = inScope(() => vals(tf.grad((v: tf.Tensor) => tf.sum(maxPool2d(v as tf.Tensor4D, 3, 2, 1)))(x)));
    expect(g[0]).toBe(1);
    expect(g.reduce((a, b) => a + b, 0)).toBe(9);
    x.dispose();
  });

  it('rejects torch-invalid padding', () => {
    expect(() => maxPool2d(tf.zeros([1, 4, 4, 1]) as tf.Tensor4D, 3, 2, 2)).toThrow('maxPool2d: padding must be at most half the kernel');
  });
});
