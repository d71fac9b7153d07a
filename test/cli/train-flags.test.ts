import { describe, expect, it } from 'vitest';
import { mergeTrainFlags } from '../../src/cli/train-flags.ts';
import { parseRunConfig } from '../../src/train/run.ts';

const blockStackConfig = {
  env: 'BlockStack-v0',
  obsType: 'state',
  dataset: { episodes: 100, seedStart: 0 },
  policy: { id: 'diffusion_unet', unet: { downDims: [32, 64, 128], diffusionStepEmbedDim: 128 } },
  train: { steps: 6000, batchSize: 256, lr: 2e-3, seed: 3 },
};

describe('dpbench train: config file and flags', () => {
  it("keeps the config's env when --env is not given (a BlockStack-v0 config trains on BlockStack-v0)", () => {
    const cfg = parseRunConfig(mergeTrainFlags(blockStackConfig, {}));
    expect(cfg.env).toBe('BlockStack-v0');
    expect(cfg.obsType).toBe('state');
    expect(cfg.dataset.episodes).toBe(100);
    expect(cfg.train.steps).toBe(6000);
  });

  it('lets a given flag override the file, and leaves the fields no flag names', () => {
    const raw = mergeTrainFlags(blockStackConfig, { env: 'PushT-v0', obs: 'keypoints', steps: 10, seed: 0, downDims: [16, 32] });
    const cfg = parseRunConfig(raw);
    expect(cfg.env).toBe('PushT-v0');
    expect(cfg.obsType).toBe('keypoints');
    expect(cfg.train.steps).toBe(10);
    // seed 0 is a value, not "no flag"
    expect(cfg.train.seed).toBe(0);
    expect(cfg.train.batchSize).toBe(256);
    expect(cfg.train.lr).toBe(2e-3);
    if (cfg.policy.id !== 'diffusion_unet') throw new Error(`expected diffusion_unet, got ${cfg.policy.id}`);
    expect(cfg.policy.unet.downDims).toEqual([16, 32]);
    expect(cfg.policy.unet.diffusionStepEmbedDim).toBe(128);
  });

  it('falls back to PushT-v0 when neither the config nor --env names an env', () => {
    const cfg = parseRunConfig(mergeTrainFlags({}, { policy: 'mlp_bc', steps: 5 }));
    expect(cfg.env).toBe('PushT-v0');
    expect(cfg.policy.id).toBe('mlp_bc');
  });

  it('does not change the config object it was given', () => {
    const before = JSON.stringify(blockStackConfig);
    mergeTrainFlags(blockStackConfig, { steps: 1, downDims: [8], episodes: 3 });
    expect(JSON.stringify(blockStackConfig)).toBe(before);
  });
});
