import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { makeInit, Rng } from '../../../policies/nn/init.ts';
import { ObsEncoder, VisionOptions } from '../../../policies/vision/encoder.ts';
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
});
