/** An image policy through the real training path: replay buffer with data/img → windows → trainer. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend.ts';
import { ReplayBuffer } from '../../../src/data/replay-buffer.ts';
import { observationMatrix, WindowBatches } from '../../../src/train/batches.ts';
import { parseRunConfig } from '../../../src/train/run.ts';
import { train, TrainConfig } from '../../../src/train/trainer.ts';
import { LinearNormalizer } from '../../../policies/core/normalizer.ts';
import { DiffusionPolicy } from '../../../policies/diffusion/policy.ts';
import { testRandom } from '../nn/reference.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'dpbench-vision-'));
beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Three episodes of a disc drifting right, drawn into 40×40 images; state = (agent x, y, …), action = next position. */
function syntheticBuffer(): ReplayBuffer {
  const rand = testRandom(1);
  const buf = new ReplayBuffer();
  for (let e = 0; e < 3; e++) {
    const T = 14 + e;
    const state = new Float32Array(T * 5);
    const action = new Float32Array(T * 2);
    const img = new Uint8Array(T * 40 * 40 * 3).fill(20);
    let [x, y] = [60 + 300 * rand(), 60 + 300 * rand()];
    for (let t = 0; t < T; t++) {
      state.set([x, y, 256, 256, 0], 5 * t);
      const [px, py] = [Math.floor((x / 512) * 36), Math.floor((y / 512) * 36)];
      for (let r = py; r < py + 4; r++) img.fill(240, ((t * 40 + r) * 40 + px) * 3, ((t * 40 + r) * 40 + px + 4) * 3);
      x += 8;
      y += 3 * (rand() - 0.5);
      action.set([x, y], 2 * t);
    }
    buf.addEpisode({ state: { data: state, shape: [5] }, action: { data: action, shape: [2] }, img: { data: img, shape: [40, 40, 3] } });
  }
  return buf;
}

describe('image policy training', () => {
  it('run configs: pixels_agent_pos gives diffusion policies the original encoder by default; other pairings are refused', () => {
    const cfg = parseRunConfig({ obsType: 'pixels_agent_pos', policy: { id: 'diffusion_unet' }, train: { steps: 1 } });
    expect(cfg.policy).toMatchObject({ vision: { cropShape: [84, 84], resnetWidth: 64, numKeypoints: 32, featureDim: 64 } });
    const tuned = parseRunConfig({ obsType: 'pixels_agent_pos', policy: { id: 'diffusion_transformer', vision: { resnetWidth: 32 } }, train: { steps: 1 } });
    expect(tuned.policy).toMatchObject({ vision: { resnetWidth: 32, cropShape: [84, 84] }, weightDecay: 0.1 });
    expect('vision' in parseRunConfig({ obsType: 'keypoints', policy: { id: 'diffusion_unet' }, train: { steps: 1 } }).policy).toBe(false);
    // Micro-batches of ≤ 16 windows by default on images (a divisor of the batch), as configured otherwise.
    expect([cfg.train.microBatch, tuned.train.microBatch]).toEqual([16, 16]);
    expect(parseRunConfig({ obsType: 'pixels_agent_pos', policy: { id: 'diffusion_unet' }, train: { steps: 1, batchSize: 24 } }).train.microBatch).toBe(12);
    expect(parseRunConfig({ obsType: 'pixels_agent_pos', policy: { id: 'diffusion_unet' }, train: { steps: 1, batchSize: 64, microBatch: 32 } }).train.microBatch).toBe(32);
    expect(parseRunConfig({ obsType: 'keypoints', policy: { id: 'diffusion_unet' }, train: { steps: 1 } }).train.microBatch).toBe(0);
    expect(() => parseRunConfig({ obsType: 'pixels_agent_pos', policy: { id: 'diffusion_unet', imageShape: [96, 96, 3] }, train: { steps: 1 } })).toThrow(/imageShape/);
  });

  it('trains from data/img through the trainer; the result depends on (seed, steps), not on the worker threads', async () => {
    const buffer = syntheticBuffer();
    const windows = { env: 'PushT-v0', obsType: 'pixels_agent_pos', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 };
    const batches = new WindowBatches(buffer, windows);
    expect(batches.imageShape).toEqual([40, 40, 3]);
    const normalizers = { obs: LinearNormalizer.fit(observationMatrix(buffer, 'pixels_agent_pos', 'PushT-v0'), 2), action: LinearNormalizer.fit(buffer.get('action').data as Float32Array, 2) };
    const run = async (workers: number) => {
      const policy = new DiffusionPolicy(
        {
          id: 'diffusion_unet', obsDim: 2, actionDim: 2, predictionHorizon: 8, actionHorizon: 4, imageShape: batches.imageShape!, vision: { resnetWidth: 16, cropShape: [36, 36] },
          unet: { diffusionStepEmbedDim: 16, downDims: [16, 32] }, inference: { scheduler: 'ddim', steps: 2 },
        },
        normalizers,
      );
      const cfg = TrainConfig.parse({ steps: 3, batchSize: 4, microBatch: 2, workers, checkpointEvery: 3, valEvery: 0, logEvery: 1, seed: 5, warmupSteps: 1, lr: 1e-3 });
      const runDir = path.join(tmp, `w${workers}`);
      mkdirSync(runDir, { recursive: true });
      const result = await train({ policy, train: batches, cfg, runDir, cfgHash: 'test', resume: false });
      const weights = new Map([...policy.namedVariables()].map(([n, v]) => [n, Array.from(v.dataSync())]));
      policy.dispose();
      return { result, weights };
    };
    const one = await run(1);
    expect(Number.isFinite(one.result.finalLoss)).toBe(true);
    const two = await run(2);
    expect(two.result.workers).toBe(2);
    for (const [n, w] of one.weights) expect(two.weights.get(n), n).toEqual(w);
  });
});
