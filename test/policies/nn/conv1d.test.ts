import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { makeInit } from '../../../policies/nn/init.ts';
import { Conv1d, ConvTranspose1d } from '../../../policies/nn/conv1d.ts';
import { conv1dRef, convTranspose1dRef, maxRelErr, permute, randn, testRandom } from './reference.ts';
import { checkGrads, vals } from './grad-check.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Conv1d', () => {
  // [k, stride, padding, T]: DP's Conv1dBlock (k5 p2), Downsample1d (k3 s2 p1), the 1x1 residual/final conv, odd cases.
  const cases: [number, number, number, number][] = [[5, 1, 2, 7], [3, 2, 1, 8], [3, 2, 1, 7], [1, 1, 0, 5], [4, 3, 0, 11], [2, 1, 3, 3]];
  for (const [k, s, p, T] of cases) {
    it(`forward equals torch Conv1d (k=${k}, s=${s}, p=${p}, T=${T}) with weight[j·in + c, o] = torch[o, c, j]`, () => {
      const [B, C, O] = [2, 3, 4];
      const conv = new Conv1d(C, O, k, makeInit(k * 10 + s), { stride: s, padding: p });
      const x = randn(B * T * C, testRandom(k + s + p));
      const y = tf.tidy(() => tf.tidy(() => conv.forward(tf.tensor3d(x, [B, T, C]))));
      const Wt = permute(vals(conv.weight), [k, C, O], [2, 1, 0]);
      const ref = conv1dRef(x, B, T, C, Wt, O, k, s, p, vals(conv.bias!));
      expect(y.shape).toEqual([B, ref.To, O]);
      expect(conv.outLength(T)).toBe(ref.To);
      expect(maxRelErr(vals(y), ref.y)).toBeLessThan(1e-6);
      y.dispose();
      conv.dispose();
    });
  }

  // The hand-written gradient pads or crops dY differently per case: all forward cases, plus a cropped input tail (k2 s2 T5).
  it.each([...cases, [2, 2, 0, 5]])('gradients (input, weight, bias) match finite differences (k=%i, s=%i, p=%i, T=%i)', (k, s, p, T) => {
    {
      const conv = new Conv1d(3, 4, k, makeInit(5), { stride: s, padding: p });
      const x = tf.tensor3d(randn(2 * T * 3, testRandom(6)), [2, T, 3]);
      checkGrads({ inputs: { x }, params: conv.namedParameters(), forward: (i) => conv.forward(i.x as tf.Tensor3D), coords: 5 });
      x.dispose();
      conv.dispose();
    }
  });

  it('has k·in·out + out parameters; torch shape [out, in, k]', () => {
    const conv = new Conv1d(6, 10, 5, makeInit(0));
    expect(conv.parameterCount()).toBe(5 * 6 * 10 + 10);
    expect(conv.torchShapes()).toEqual({ weight: [10, 6, 5], bias: [10] });
    expect(new Conv1d(6, 10, 5, makeInit(0), { bias: false }).parameterCount()).toBe(5 * 6 * 10);
    conv.dispose();
  });

  it('names shapes in errors', () => {
    const conv = new Conv1d(3, 4, 5, makeInit(0), { padding: 0 });
    expect(() => conv.forward(tf.zeros([2, 8, 5]) as tf.Tensor3D)).toThrow('Conv1d(3→4, k=5): input must be [B, T, 3], got [2, 8, 5]');
    expect(() => conv.forward(tf.zeros([2, 3, 3]) as tf.Tensor3D)).toThrow(/input length 3 is too short/);
    conv.dispose();
  });
});

describe('ConvTranspose1d', () => {
  // [k, stride, padding, T]: DP's Upsample1d (k4 s2 p1) and other shapes (k < s, k not a multiple of s, s = 1).
  const cases: [number, number, number, number][] = [[4, 2, 1, 4], [4, 2, 1, 1], [3, 2, 0, 5], [5, 2, 2, 4], [2, 3, 0, 3], [3, 1, 1, 4], [5, 3, 1, 3]];
  for (const [k, s, p, T] of cases) {
    it(`forward equals torch ConvTranspose1d (k=${k}, s=${s}, p=${p}, T=${T}) with weight[c, j·out + o] = torch[c, o, j]`, () => {
      const [B, C, O] = [2, 3, 4];
      const up = new ConvTranspose1d(C, O, makeInit(k + 7 * s), { kernelSize: k, stride: s, padding: p });
      const x = randn(B * T * C, testRandom(3 * k + s));
      const y = tf.tidy(() => up.forward(tf.tensor3d(x, [B, T, C])));
      const Wt = permute(vals(up.weight), [C, k, O], [0, 2, 1]);
      const ref = convTranspose1dRef(x, B, T, C, Wt, O, k, s, p, vals(up.bias!));
      expect(y.shape).toEqual([B, (T - 1) * s - 2 * p + k, O]);
      expect(maxRelErr(vals(y), ref.y)).toBeLessThan(1e-6);
      y.dispose();
      up.dispose();
    });
  }

  it('defaults to Upsample1d (k=4, s=2, p=1): T → 2T', () => {
    const up = new ConvTranspose1d(3, 2, makeInit(0));
    expect([up.kernelSize, up.stride, up.padding, up.outLength(8)]).toEqual([4, 2, 1, 16]);
    up.dispose();
  });

  it('gradients (input, weight, bias) match finite differences', () => {
    for (const [k, s, p] of [[4, 2, 1], [3, 2, 0]]) {
      const up = new ConvTranspose1d(3, 4, makeInit(8), { kernelSize: k, stride: s, padding: p });
      const x = tf.tensor3d(randn(2 * 4 * 3, testRandom(9)), [2, 4, 3]);
      checkGrads({ inputs: { x }, params: up.namedParameters(), forward: (i) => up.forward(i.x as tf.Tensor3D), coords: 5 });
      x.dispose();
      up.dispose();
    }
  });

  it('has in·out·k + out parameters; torch shape [in, out, k]', () => {
    const up = new ConvTranspose1d(6, 10, makeInit(0));
    expect(up.parameterCount()).toBe(6 * 10 * 4 + 10);
    expect(up.torchShapes()).toEqual({ weight: [6, 10, 4], bias: [10] });
    up.dispose();
  });
});
