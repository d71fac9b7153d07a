import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { makeInit } from '../../../policies/nn/init.ts';
import { SpatialSoftmax } from '../../../policies/vision/spatial-softmax.ts';
import { maxRelErr, randn, testRandom } from '../nn/reference.ts';
import { checkGrads, inScope, vals } from '../nn/grad-check.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Sets the 1×1 conv to a·identity (in = K channels), bias 0: keypoint map k is a·(input channel k). */
function identityConv(ss: SpatialSoftmax, a: number): void {
  const K = ss.numKeypoints;
  tf.tidy(() => {
    ss.keypoints.weight.assign(tf.reshape(tf.mul(tf.eye(K), a), [1, 1, K, K]));
    ss.keypoints.bias!.assign(tf.zeros([K]));
  });
}

describe('SpatialSoftmax', () => {
  it('returns the coordinates of the hot pixel of a one-hot map: x = linspace(−1, 1, W)[w], y = linspace(−1, 1, H)[h]', () => {
    const [H, W, K] = [3, 5, 4];
    const ss = new SpatialSoftmax(K, H, W, makeInit(0), K);
    identityConv(ss, 100); // e^−100 ≈ 0: the softmax is one-hot to float32 precision
    const hot: [number, number][] = [[0, 0], [2, 4], [1, 3], [2, 0]];
    const x = new Float32Array(H * W * K);
    hot.forEach(([h, w], k) => (x[(h * W + w) * K + k] = 1));
    const y = inScope(() => vals(ss.forward(tf.tensor4d(x, [1, H, W, K]))));
    const expected = hot.flatMap(([h, w]) => [-1 + (2 * w) / (W - 1), -1 + (2 * h) / (H - 1)]);
    expect(maxRelErr(y, expected)).toBeLessThan(1e-6);
    ss.dispose();
  });

  it('returns the map centre (0, 0) for a flat map, and (−1, −1) on a 1×1 map (linspace(−1, 1, 1) = [−1])', () => {
    const flat = new SpatialSoftmax(2, 4, 6, makeInit(1), 2);
    identityConv(flat, 1);
    expect(maxRelErr(inScope(() => vals(flat.forward(tf.fill([2, 4, 6, 2], 0.7) as tf.Tensor4D))), new Array(8).fill(0))).toBeLessThan(1e-6);
    const one = new SpatialSoftmax(3, 1, 1, makeInit(2), 2);
    expect(Array.from(inScope(() => vals(one.forward(tf.tensor4d(randn(3, testRandom(3)), [1, 1, 1, 3])))))).toEqual([-1, -1, -1, -1]);
    flat.dispose();
    one.dispose();
  });

  it('equals a float64 softmax expectation for random maps (torch softmax over H·W per keypoint)', () => {
    const [N, H, W, C, K] = [2, 3, 4, 5, 3];
    const ss = new SpatialSoftmax(C, H, W, makeInit(4), K);
    const x = randn(N * H * W * C, testRandom(5));
    const y = inScope(() => vals(ss.forward(tf.tensor4d(x, [N, H, W, C]))));
    const w = vals(ss.keypoints.weight); // [1, 1, C, K]
    const b = vals(ss.keypoints.bias!);
    const ref: number[] = [];
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        const logits: number[] = [];
        for (let p = 0; p < H * W; p++) {
          let s = b[k];
          for (let c = 0; c < C; c++) s += w[c * K + k] * x[(n * H * W + p) * C + c];
          logits.push(s);
        }
        const m = Math.max(...logits);
        const e = logits.map((l) => Math.exp(l - m));
        const z = e.reduce((a, v) => a + v, 0);
        let ex = 0;
        let ey = 0;
        e.forEach((v, p) => {
          ex += (v / z) * (-1 + (2 * (p % W)) / (W - 1));
          ey += (v / z) * (-1 + (2 * Math.floor(p / W)) / (H - 1));
        });
        ref.push(ex, ey);
      }
    expect(maxRelErr(y, ref)).toBeLessThan(1e-6);
    ss.dispose();
  });

  it('gradients (input, conv weight) match finite differences; the conv bias gets none (softmax is shift-invariant)', () => {
    const ss = new SpatialSoftmax(4, 3, 3, makeInit(6), 3);
    const x = tf.tensor4d(randn(2 * 3 * 3 * 4, testRandom(7)), [2, 3, 3, 4]);
    const weight = new Map([['nets.weight', ss.keypoints.weight]]);
    const worst = checkGrads({ inputs: { x }, params: weight, forward: (i) => ss.forward(i.x as tf.Tensor4D), coords: 6 });
    console.log('SpatialSoftmax: worst |fd − g|/scale', JSON.stringify(worst));
    // A bias shifts all of one map's logits alike: the expectation, hence the loss, does not move.
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(ss.forward(x))) as tf.Scalar, [ss.keypoints.bias!]);
    expect(Math.max(...vals(grads[ss.keypoints.bias!.name]).map(Math.abs))).toBeLessThan(1e-6);
    tf.dispose([value, ...Object.values(grads)]);
    x.dispose();
    ss.dispose();
  });

  it('has the original\'s parameters: a 1×1 conv 512 → 32 (16,416), named nets.*; 64 outputs', () => {
    const ss = new SpatialSoftmax(512, 3, 3, makeInit(0));
    expect(ss.parameterCount()).toBe(512 * 32 + 32);
    expect([...ss.namedParameters().keys()]).toEqual(['nets.weight', 'nets.bias']);
    expect(ss.outFeatures).toBe(64);
    expect(() => ss.forward(tf.zeros([1, 4, 3, 512]) as tf.Tensor4D)).toThrow('SpatialSoftmax(3×3): input must be [N, 3, 3, C], got [1, 4, 3, 512]');
    ss.dispose();
  });
});
