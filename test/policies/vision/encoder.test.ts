import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { makeInit, Rng } from '../../../policies/nn/init.ts';
import { ObsEncoder, VisionOptions } from '../../../policies/vision/encoder.ts';
import { Linear } from '../../../policies/nn/linear.ts';
import { testRandom } from '../nn/reference.ts';
import { inScope, vals } from '../nn/grad-check.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('ObsEncoder', () => {
  it('defaults to the original Push-T image encoder: 84×84 crops, ResNet-18 (64), 32 keypoints, 64 features; 3×3 maps', () => {
    const o = VisionOptions.parse({});
    expect(o).toEqual({ cropShape: [84, 84], resnetWidth: 64, numKeypoints: 32, featureDim: 64, weightDecay: 1e-6 });
    const enc = new ObsEncoder({ ...o, imageShape: [96, 96, 3], lowDim: 2 }, makeInit(0));
    expect([enc.core.pool.height, enc.core.pool.width, enc.core.pool.inChannels]).toEqual([3, 3, 512]);
    expect(enc.outFeatures).toBe(66);
    expect(enc.parameterCount()).toBe(11_176_512 + (512 * 32 + 32) + (64 * 64 + 64));
    enc.dispose();
  });

  it('returns ReLU(image feature) ‖ low-dim, per image; the centre crop is the same every call, random crops follow the rng', () => {
    const enc = new ObsEncoder({ ...VisionOptions.parse({ resnetWidth: 16, cropShape: [36, 36], featureDim: 8 }), imageShape: [40, 40, 3], lowDim: 2 }, makeInit(1));
    const N = 3;
    const images = Uint8Array.from({ length: N * 40 * 40 * 3 }, (_, i) => (i * 97 + (i >> 7)) % 256);
    const low = tf.tensor2d([0.5, -0.25, 1, 0, -1, 0.75], [N, 2]);
    const run = (rng: Rng | null) => inScope(() => vals(enc.forward(images, low, rng)));
    const centre = run(null);
    expect(centre.length).toBe(N * 10);
    for (let n = 0; n < N; n++) {
      expect(Array.from(centre.subarray(n * 10 + 8, n * 10 + 10))).toEqual(Array.from(low.dataSync().subarray(2 * n, 2 * n + 2)));
      expect(Math.min(...centre.subarray(n * 10, n * 10 + 8))).toBeGreaterThanOrEqual(0);
    }
    expect(Array.from(run(null))).toEqual(Array.from(centre));
    expect(Array.from(run(new Rng(3)))).toEqual(Array.from(run(new Rng(3))));
    expect(Array.from(run(new Rng(3)))).not.toEqual(Array.from(run(new Rng(4))));
    expect(() => enc.forward(images, tf.zeros([N, 3]) as tf.Tensor2D, null)).toThrow('ObsEncoder: low-dim input must be [N, 2], got [3, 3]');
    low.dispose();
    enc.dispose();
  });

  it('is trainable end to end: with a linear head it learns where a bright square is (Adam, random crops)', () => {
    const S = 40;
    const batch = (B: number, seed: number) => {
      const rand = testRandom(seed);
      const images = new Uint8Array(B * S * S * 3).fill(30);
      const xs: number[] = [];
      for (let b = 0; b < B; b++) {
        const x0 = Math.floor(rand() * (S - 10));
        const y0 = Math.floor(rand() * (S - 10));
        xs.push(((x0 + 5) / S) * 2 - 1);
        for (let y = y0; y < y0 + 10; y++) images.fill(250, ((b * S + y) * S + x0) * 3, ((b * S + y) * S + x0 + 10) * 3);
      }
      return { images, xs, low: tf.zeros([B, 2]) as tf.Tensor2D, target: tf.tensor2d(xs, [B, 1]) };
    };
    const enc = new ObsEncoder({ ...VisionOptions.parse({ resnetWidth: 16, cropShape: [36, 36] }), imageShape: [S, S, 3], lowDim: 2 }, makeInit(0));
    const head = new Linear(66, 1, makeInit(1));
    const vars = [...enc.parameters(), ...head.parameters()];
    const opt = tf.train.adam(1e-3);
    const mse = (b: ReturnType<typeof batch>, rng: Rng | null) => tf.mean(tf.square(tf.sub(head.forward(enc.forward(b.images, b.low, rng)), b.target))) as tf.Scalar;
    const held = batch(32, 999);
    const variance = held.xs.reduce((a, v) => a + v * v, 0) / 32 - (held.xs.reduce((a, v) => a + v, 0) / 32) ** 2;
    const start = tf.tidy(() => mse(held, null).dataSync()[0]);
    for (let s = 0; s < 50; s++) {
      const b = batch(8, s);
      const { value, grads } = tf.variableGrads(() => mse(b, new Rng(s)), vars);
      opt.applyGradients(grads as Parameters<typeof opt.applyGradients>[0]);
      tf.dispose([value, b.low, b.target, ...Object.values(grads)]);
    }
    const end = tf.tidy(() => mse(held, null).dataSync()[0]);
    console.log(`encoder regression: held-out MSE ${start.toFixed(4)} → ${end.toFixed(4)} (target variance ${variance.toFixed(4)})`);
    expect(end).toBeLessThan(0.25 * variance);
    tf.dispose([held.low, held.target]);
    opt.dispose();
    head.dispose();
    enc.dispose();
  });
});
