import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { makeInit } from '../../../policies/nn/init.ts';
import { ConditionalUnet1D } from '../../../policies/diffusion/unet1d.ts';
import { TransformerForDiffusion } from '../../../policies/diffusion/transformer.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

// Parameter counts of the reference PyTorch models: the table in shared/fixtures/README.md.
describe('ConditionalUnet1D matches the original architecture', () => {
  it.each([
    [[64, 128, 256], 128, 10, 4_452_034],
    [[256, 512, 1024], 256, 10, 65_353_218],
    [[256, 512, 1024], 256, 40, 65_783_298],
  ])('down dims %j, step embed %i, global cond %i → %i parameters', (downDims, dsed, cond, want) => {
    const net = new ConditionalUnet1D({ inputDim: 2, globalCondDim: cond, diffusionStepEmbedDim: dsed, downDims, kernelSize: 5, nGroups: 8, condPredictScale: true }, makeInit(0));
    expect(net.parameterCount()).toBe(want);
    net.dispose();
  });

  it('maps [B, 16, Da] to [B, 16, Da], and depends on the step and the condition', () => {
    const net = new ConditionalUnet1D({ inputDim: 2, globalCondDim: 6, diffusionStepEmbedDim: 16, downDims: [16, 32, 64], kernelSize: 5, nGroups: 8, condPredictScale: true }, makeInit(1));
    tf.tidy(() => {
      const x = tf.randomNormal([3, 16, 2], 0, 1, 'float32', 1) as tf.Tensor3D;
      const c = tf.randomNormal([3, 6], 0, 1, 'float32', 2) as tf.Tensor2D;
      const y = net.forward(x, tf.tensor1d([1, 1, 1]), c);
      expect(y.shape).toEqual([3, 16, 2]);
      const diff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
      expect(diff(y, net.forward(x, tf.tensor1d([50, 50, 50]), c))).toBeGreaterThan(1e-4);
      expect(diff(y, net.forward(x, tf.tensor1d([1, 1, 1]), tf.add(c, 1) as tf.Tensor2D))).toBeGreaterThan(1e-4);
    });
    expect(() => net.checkHorizon(10)).toThrow('ConditionalUnet1D: the prediction horizon must be a multiple of 4 (2^(levels−1) for down dims [16, 32, 64]), got 10');
    net.dispose();
  });
});

describe('TransformerForDiffusion matches the original architecture', () => {
  it.each([
    [20, 8_965_122],
    [5, 8_961_282],
  ])('obs dim %i → %i parameters', (condDim, want) => {
    const net = new TransformerForDiffusion({ inputDim: 2, horizon: 16, nObsSteps: 2, condDim, nLayer: 8, nHead: 4, nEmb: 256, pDropEmb: 0, pDropAttn: 0.01, causalAttn: true }, makeInit(0));
    expect(net.parameterCount()).toBe(want);
    net.dispose();
  });

  it('is causal: an action token does not see later action tokens nor obs tokens beyond its mask', () => {
    const net = new TransformerForDiffusion({ inputDim: 2, horizon: 8, nObsSteps: 2, condDim: 3, nLayer: 2, nHead: 2, nEmb: 16, pDropEmb: 0, pDropAttn: 0, causalAttn: true }, makeInit(3));
    tf.tidy(() => {
      const x = tf.randomNormal([1, 8, 2], 0, 1, 'float32', 4) as tf.Tensor3D;
      const o = tf.randomNormal([1, 2, 3], 0, 1, 'float32', 5) as tf.Tensor3D;
      const k = tf.tensor1d([7]);
      const y = net.forward(x, k, o).arraySync()[0];
      // Changing action token 5 leaves outputs 0–4 unchanged and changes 5.
      const x2 = tf.add(x, tf.tensor3d(Array.from({ length: 16 }, (_, i) => (i >> 1 === 5 ? 1 : 0)), [1, 8, 2])) as tf.Tensor3D;
      const y2 = net.forward(x2, k, o).arraySync()[0];
      for (let t = 0; t < 5; t++) expect(y2[t]).toEqual(y[t]);
      expect(y2[5]).not.toEqual(y[5]);
      // Memory mask: token 0 sees the time token and obs 1 only (t ≥ s − 1), so changing obs 2 leaves it unchanged.
      const o2 = tf.add(o, tf.tensor3d([0, 0, 0, 1, 1, 1], [1, 2, 3])) as tf.Tensor3D;
      const y3 = net.forward(x, k, o2).arraySync()[0];
      expect(y3[0]).toEqual(y[0]);
      expect(y3[1]).not.toEqual(y[1]);
    });
    net.dispose();
  });

  it('decays Linear and attention weights only (the original optimizer groups)', () => {
    const net = new TransformerForDiffusion({ inputDim: 2, horizon: 8, nObsSteps: 2, condDim: 3, nLayer: 1, nHead: 2, nEmb: 16, pDropEmb: 0, pDropAttn: 0, causalAttn: true }, makeInit(0));
    const names = [...net.namedParameters().keys()];
    const decayed = names.filter((n) => net.isDecayed(n)).sort();
    expect(decayed).toEqual(
      [
        'cond_obs_emb.weight', 'decoder.layers.0.linear1.weight', 'decoder.layers.0.linear2.weight', 'decoder.layers.0.multihead_attn.in_proj_weight',
        'decoder.layers.0.multihead_attn.out_proj.weight', 'decoder.layers.0.self_attn.in_proj_weight', 'decoder.layers.0.self_attn.out_proj.weight',
        'encoder.0.weight', 'encoder.2.weight', 'head.weight', 'input_emb.weight',
      ].sort(),
    );
    net.dispose();
  });
});
