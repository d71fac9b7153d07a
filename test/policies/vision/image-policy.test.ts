import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { DiffusionPolicy, type DiffusionPolicyConfig } from '../../../policies/diffusion/policy.ts';
import { LinearNormalizer } from '../../../policies/core/normalizer.ts';
import type { TrainBatch } from '../../../policies/core/trainable.ts';
import { testRandom } from '../nn/reference.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

const norms = () => {
  const lim = (d: number) => LinearNormalizer.fromLimits(new Array(d).fill(0), new Array(d).fill(512));
  return { obs: lim(2), action: lim(2) };
};

/** A small image policy: ResNet-18 at width 16 on 40×40 images (36×36 crops → a 2×2 map), small denoisers. */
function smallPolicy(id: DiffusionPolicyConfig['id'], extra: object = {}): DiffusionPolicy {
  return new DiffusionPolicy(
    {
      id, obsDim: 2, actionDim: 2, imageShape: [40, 40, 3], vision: { resnetWidth: 16, cropShape: [36, 36] },
      unet: { diffusionStepEmbedDim: 32, downDims: [32, 64, 128] }, transformer: { nLayer: 2, nEmb: 64 },
      inference: { scheduler: 'ddim', steps: 4 }, ...extra,
    },
    norms(),
  );
}

/**
 * B windows whose images show a bright square in the left or the right half (one class per window), and
 * whose actions are the class's constant target: what the policy must read from the pixels.
 */
function imageBatch(B: number, seed: number, S = 40): TrainBatch & { classes: number[] } {
  const rand = testRandom(seed);
  const To = 2;
  const images = new Uint8Array(B * To * S * S * 3).fill(30);
  const classes = Array.from({ length: B }, (_, b) => b % 2);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < To; t++) {
      const x0 = (classes[b] ? S / 2 : 0) + Math.floor(rand() * (S / 2 - 10));
      const y0 = Math.floor(rand() * (S - 10));
      for (let y = y0; y < y0 + 10; y++) for (let x = x0; x < x0 + 10; x++) images.fill(250, (((b * To + t) * S + y) * S + x) * 3, (((b * To + t) * S + y) * S + x + 1) * 3);
    }
  const obs = Float32Array.from({ length: B * To * 2 }, () => 256);
  const action = Float32Array.from({ length: B * 16 * 2 }, (_, i) => (classes[Math.floor(i / 32)] ? 400 : 100));
  return { batchSize: B, obs, action, images, classes };
}

describe('Diffusion Policy with image observations', () => {
  it('has the original image DP-C\'s encoder (11,197,088) and a U-Net conditioned on (64 + 2)·To = 132', () => {
    // Encoder by hand: ResNet18Conv 11,176,512 (torchvision resnet18 without fc) + spatial-softmax 1×1 conv
    // 512·32 + 32 + Linear 64·64 + 64. U-Net: the fixture's 4,452,034 for global cond 10, step embed 128,
    // down dims [64, 128, 256], plus 122 more condition inputs × 2·Σ(block widths) = 2·(2·64 + 2·128 + 2·256
    // + 2·256 + 2·128 + 2·64) = 3,584 FiLM weights each.
    const encoder = 11_176_512 + 512 * 32 + 32 + 64 * 64 + 64;
    expect(encoder).toBe(11_197_088);
    const p = new DiffusionPolicy({ id: 'diffusion_unet', obsDim: 2, actionDim: 2, imageShape: [96, 96, 3], vision: {}, unet: { diffusionStepEmbedDim: 128, downDims: [64, 128, 256] } }, norms());
    expect(p.obsFeatureDim).toBe(66);
    expect(p.parameterCount()).toBe(encoder + 4_452_034 + 122 * 3_584);
    const names = [...p.namedVariables().keys()];
    expect(names).toContain('obs_encoder.obs_nets.image.nets.0.nets.0.weight');
    expect(names).toContain('obs_encoder.obs_nets.image.nets.1.nets.weight');
    expect(names).toContain('obs_encoder.obs_nets.image.nets.3.bias');
    expect(names).toContain('diffusion_step_encoder.1.weight');
    expect(p.weightDecay('obs_encoder.obs_nets.image.nets.0.nets.0.weight')).toBe(1e-6);
    p.dispose();
  });

  it('DP-T: the encoder decays by obs_encoder_weight_decay, the transformer by its own groups', () => {
    const p = smallPolicy('diffusion_transformer', { weightDecay: 1e-3, vision: { resnetWidth: 16, cropShape: [36, 36], weightDecay: 1e-6 } });
    expect(p.weightDecay('obs_encoder.obs_nets.image.nets.4.0.conv1.weight')).toBe(1e-6);
    expect(p.weightDecay('obs_encoder.obs_nets.image.nets.3.bias')).toBe(1e-6);
    const decayed = [...p.namedVariables().keys()].filter((n) => !n.startsWith('obs_encoder.') && p.weightDecay(n) === 1e-3);
    expect(decayed.length).toBeGreaterThan(0);
    p.dispose();
  });

  for (const id of ['diffusion_unet', 'diffusion_transformer'] as const) {
    it(`${id}: gradients reach the whole encoder; tf.memory().numTensors is constant across train steps and sampling`, async () => {
      const p = smallPolicy(id);
      const vars = p.namedVariables();
      const opt = tf.train.adam(1e-3);
      const batch = imageBatch(4, 1);
      const step = (seed: number) => {
        p.setTraining(true);
        const { value, grads } = tf.variableGrads(() => p.loss(batch, seed), [...vars.values()]);
        const loss = value.dataSync()[0];
        const stem = grads[vars.get('obs_encoder.obs_nets.image.nets.0.nets.0.weight')!.name];
        const stemNorm = tf.tidy(() => tf.norm(stem).dataSync()[0]);
        opt.applyGradients(grads as Parameters<typeof opt.applyGradients>[0]);
        tf.dispose([value, ...Object.values(grads)]);
        return { loss, stemNorm, count: Object.keys(grads).length };
      };
      const obs = { batchSize: 2, obsHorizon: 2, obsDim: 2, data: batch.obs.subarray(0, 8), images: batch.images!.subarray(0, 2 * 2 * 40 * 40 * 3) };
      const sample = async () => {
        p.setTraining(false);
        return p.predictChunk(obs, { noiseSeeds: [3, 4] });
      };
      const first = step(0);
      expect(first.count).toBe(vars.size);
      expect(Number.isFinite(first.loss)).toBe(true);
      expect(first.stemNorm).toBeGreaterThan(0);
      await sample();
      const before = tf.memory().numTensors;
      for (let i = 1; i <= 2; i++) {
        step(i);
        const chunks = await sample();
        expect(chunks.map((c) => c.length)).toEqual([16, 16]);
      }
      expect(tf.memory().numTensors).toBe(before);
      // Sampling is a pure function of weights, observation and noise seeds.
      expect(Array.from((await sample())[1])).toEqual(Array.from((await sample())[1]));
      opt.dispose();
      p.dispose();
    });
  }

  it('crops at random in training (seeded by the step seed) and at the centre otherwise', () => {
    const p = smallPolicy('diffusion_unet');
    const batch = imageBatch(4, 2);
    const loss = (seed: number) => tf.tidy(() => p.loss(batch, seed).dataSync()[0]);
    p.setTraining(true);
    expect(loss(5)).toBe(loss(5));
    // Only the crops differ between training and evaluation at one seed (the U-Net has no dropout).
    const train = loss(5);
    p.setTraining(false);
    expect(loss(5)).not.toBe(train);
    // Pixels outside the centre crop (rows/columns 0–1 and 38–39 of 40) are invisible at evaluation.
    const edited = { ...batch, images: Uint8Array.from(batch.images!) };
    for (let i = 0; i < edited.images.length / 3; i++) {
      const x = i % 40;
      const y = Math.floor(i / 40) % 40;
      if (x < 2 || x >= 38 || y < 2 || y >= 38) edited.images.fill(255, 3 * i, 3 * i + 3);
    }
    expect(tf.tidy(() => p.loss(edited, 5).dataSync()[0])).toBe(loss(5));
    p.dispose();
  });

  it('conditions on the image: sampled actions move when only the pixels change', async () => {
    const p = smallPolicy('diffusion_transformer');
    const a = imageBatch(2, 3);
    const obs = { batchSize: 2, obsHorizon: 2, obsDim: 2, data: a.obs };
    const sample = (images: Uint8Array) => p.predictSequence({ ...obs, images }, { noiseSeeds: [5, 6] });
    const [sa, sa2, sb] = [await sample(a.images!), await sample(a.images!), await sample(imageBatch(2, 4).images!)];
    const maxDiff = (x: Float32Array[], y: Float32Array[]) => Math.max(...x.flatMap((c, i) => Array.from(c, (v, j) => Math.abs(v - y[i][j]))));
    expect(maxDiff(sa, sa2)).toBe(0);
    expect(maxDiff(sa, sb)).toBeGreaterThan(1e-2); // px
    p.dispose();
  });

  it('names missing or mis-sized images', async () => {
    const p = smallPolicy('diffusion_unet');
    const obs = { batchSize: 1, obsHorizon: 2, obsDim: 2, data: new Float32Array(4) };
    await expect(p.predictChunk(obs)).rejects.toThrow('diffusion_unet: an image policy needs B × To images of 40×40×3 uint8 (9600 bytes), got none');
    await expect(p.predictChunk({ ...obs, images: new Uint8Array(10) })).rejects.toThrow('(9600 bytes), got 10');
    expect(() => new DiffusionPolicy({ id: 'diffusion_unet', obsDim: 2, actionDim: 2, vision: {} }, norms())).toThrow('diffusion_unet: vision needs imageShape');
    p.dispose();
  });
});
