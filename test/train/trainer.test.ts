import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../policies/nn/tf.ts';
import { initBackend } from '../../src/backend.ts';
import { parseRunConfig, prepareRun, trainRun, type RunConfig } from '../../src/train/run.ts';
import { loadCheckpoint, resolveCheckpoint } from '../../src/train/checkpoint.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'dpbench-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('wasm');
});

/** Tiny but complete configs: 4 demonstrations, a 2-level U-Net or a 1-layer transformer. */
type DiffusionRunConfig = RunConfig & { policy: { unet: { downDims: number[] } } };

function config(id: 'diffusion_unet' | 'diffusion_transformer', train: Record<string, unknown> = {}): DiffusionRunConfig {
  return parseRunConfig({
    obsType: 'keypoints',
    dataset: { episodes: 4, seedStart: 0 },
    valRatio: 0.25,
    policy: {
      id,
      unet: { diffusionStepEmbedDim: 16, downDims: [16, 32] },
      // Dropout on, so the determinism checks cover the dropout masks too.
      transformer: { nLayer: 1, nHead: 2, nEmb: 32, pDropAttn: 0.1, pDropEmb: 0.1 },
      inference: { scheduler: 'ddim', steps: 4 },
    },
    train: { steps: 8, batchSize: 16, warmupSteps: 2, checkpointEvery: 4, logEvery: 2, valEvery: 4, valBatches: 1, lr: 1e-3, ...train },
  }) as DiffusionRunConfig;
}

const weights = (runDir: string) => loadCheckpoint(resolveCheckpoint(runDir));

describe.each(['diffusion_unet', 'diffusion_transformer'] as const)('training %s', (id) => {
  it('resumes exactly: killed at step 4 and resumed, it ends with the same weights as an uninterrupted run', async () => {
    const full = await trainRun(config(id), { resultsDir: path.join(tmp, `${id}-full`), resume: false });
    full.prepared.policy.dispose();
    const dirB = path.join(tmp, `${id}-resumed`);
    const part = await trainRun(config(id), { resultsDir: dirB, resume: false, stopAt: 4 });
    part.prepared.policy.dispose();
    expect(part.result.step).toBe(4);
    const rest = await trainRun(config(id), { resultsDir: dirB, resume: true });
    rest.prepared.policy.dispose();
    expect(rest.result.resumedFrom).toBe(4);
    const a = weights(full.runDir);
    const b = weights(rest.runDir);
    expect(b.state.step).toBe(8);
    for (const part of ['model', 'ema', 'optimizer'] as const) {
      for (const [name, t] of a[part]!) expect(Array.from(b[part]!.get(name)!.data), `${part} ${name}`).toEqual(Array.from(t.data));
    }
    const log = (d: string) => readFileSync(path.join(d, 'train_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number; valLoss?: number });
    expect(log(rest.runDir).map((l) => [l.step, l.loss, l.valLoss])).toEqual(log(full.runDir).map((l) => [l.step, l.loss, l.valLoss]));
  });

  it('leaks no tensors across train steps and sampling calls', async () => {
    const prepared = await prepareRun(config(id), path.join(tmp, `${id}-leak`));
    const { policy } = prepared;
    const vars = [...policy.namedVariables().values()];
    const step = () => {
      const { value, grads } = tf.variableGrads(() => policy.loss(prepared.train.batch(0, 8, 0), 1), vars);
      value.dispose();
      for (const g of Object.values(grads)) g.dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    const batch = prepared.train.gather([0, 1]);
    await policy.predictChunk({ batchSize: 2, obsHorizon: 2, obsDim: 18, data: batch.obs }, { noiseSeeds: [1, 2] });
    expect(tf.memory().numTensors).toBe(before);
    policy.dispose();
  });
});

describe('training behaviour', () => {
  it('lowers the denoising loss on the demonstrations', async () => {
    const cfg = config('diffusion_unet', { steps: 60, batchSize: 32, logEvery: 10, checkpointEvery: 60, valEvery: 60 });
    cfg.policy.unet.downDims = [32, 64];
    const { runDir, prepared } = await trainRun(cfg, { resultsDir: path.join(tmp, 'learn'), resume: false });
    prepared.policy.dispose();
    const log = readFileSync(path.join(runDir, 'train_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number });
    // The loss of noise prediction starts near E‖ε‖² = 1 for an untrained net and must fall well below it.
    expect(log[0].loss).toBeGreaterThan(0.5);
    expect(log[log.length - 1].loss).toBeLessThan(0.6 * log[0].loss);
  });

  it('samples reproducibly from injected noise seeds, row by row', async () => {
    const prepared = await prepareRun(config('diffusion_unet'), path.join(tmp, 'sample'));
    const { policy } = prepared;
    const batch = prepared.train.gather([0, 1, 2]);
    const obs = (rows: number[]) => ({ batchSize: rows.length, obsHorizon: 2, obsDim: 18, data: Float32Array.from(rows.flatMap((r) => Array.from(batch.obs.subarray(r * 36, (r + 1) * 36)))) });
    const a = await policy.predictChunk(obs([0, 1, 2]), { noiseSeeds: [5, 6, 7] });
    const b = await policy.predictChunk(obs([2, 0]), { noiseSeeds: [7, 5] });
    expect(Array.from(b[0])).toEqual(Array.from(a[2]));
    expect(Array.from(b[1])).toEqual(Array.from(a[0]));
    const c = await policy.predictChunk(obs([0]), { noiseSeeds: [99] });
    expect(Array.from(c[0])).not.toEqual(Array.from(a[0]));
    expect(a[0]).toHaveLength(8 * 2); // Ta × Da
    policy.dispose();
  });
});

describe('bad input', () => {
  it('gives clear errors for configs, horizons and resumes', async () => {
    expect(() => parseRunConfig({ policy: { id: 'diffusion_unet' }, train: { steps: 5, batchsize: 3 } })).toThrow(/run config: train: Unrecognized key/);
    expect(() => parseRunConfig({ policy: { id: 'diffusion_cnn' }, train: { steps: 5 } })).toThrow(/run config: policy.id/);
    await expect(prepareRun(parseRunConfig({ ...config('diffusion_unet'), policy: { ...config('diffusion_unet').policy, predictionHorizon: 15 } }), path.join(tmp, 'bad'))).rejects.toThrow(
      'ConditionalUnet1D: the prediction horizon must be a multiple of 2 (2^(levels−1) for down dims [16, 32]), got 15',
    );
    await expect(prepareRun(parseRunConfig({ ...config('diffusion_unet'), policy: { ...config('diffusion_unet').policy, actionHorizon: 16 } }), path.join(tmp, 'bad'))).rejects.toThrow(
      'diffusion_unet: actionHorizon (Ta=16) must be <= predictionHorizon - obsHorizon + 1 (16 - 2 + 1 = 15)',
    );
    const dir = path.join(tmp, 'again');
    (await trainRun(config('diffusion_unet', { steps: 2, checkpointEvery: 2 }), { resultsDir: dir, resume: false })).prepared.policy.dispose();
    await expect(trainRun(config('diffusion_unet', { steps: 2, checkpointEvery: 2 }), { resultsDir: dir, resume: false })).rejects.toThrow(/already has checkpoints; pass --resume/);
  });
});

describe('variant recipes and checkpoint compatibility', () => {
  it('takes the original optimizer recipe per variant unless the config sets it', () => {
    const t = parseRunConfig({ policy: { id: 'diffusion_transformer' }, train: { steps: 1 } });
    expect([t.train.betas, t.train.warmupSteps, t.policy.weightDecay]).toEqual([[0.9, 0.95], 1000, 0.1]);
    const u = parseRunConfig({ policy: { id: 'diffusion_unet' }, train: { steps: 1 } });
    expect([u.train.betas, u.train.warmupSteps, u.policy.weightDecay]).toEqual([[0.95, 0.999], 500, 1e-6]);
    expect(parseRunConfig({ policy: { id: 'diffusion_unet', weightDecay: 0 }, train: { steps: 1, warmupSteps: 3 } }).train.warmupSteps).toBe(3);
  });

  it('refuses to load a checkpoint into a policy of another shape', async () => {
    const small = await trainRun(config('diffusion_unet', { steps: 2, checkpointEvery: 2 }), { resultsDir: path.join(tmp, 'shape'), resume: false });
    small.prepared.policy.dispose();
    const other = config('diffusion_unet');
    other.policy.unet.downDims = [16, 48];
    const prepared = await prepareRun(other, path.join(tmp, 'shape'));
    const { loadWeights } = await import('../../src/train/trainer.ts');
    expect(() => loadWeights(prepared.policy, resolveCheckpoint(small.runDir))).toThrow(/has shape \[\d+(,\d+)*\] in the checkpoint, \[\d+(,\d+)*\] in the model/);
    prepared.policy.dispose();
  });
});
