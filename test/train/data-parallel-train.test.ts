import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { parseRunConfig, prepareRun, runDirOf, type RunConfig } from '../../src/train/run.ts';
import { train } from '../../src/train/trainer.ts';
import { loadCheckpoint, resolveCheckpoint } from '../../src/train/checkpoint.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'dpbench-dp-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('wasm');
});

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('data-parallel training', () => {
  const config = (id: 'diffusion_unet' | 'diffusion_transformer', workers: number): RunConfig =>
    parseRunConfig({
      obsType: 'keypoints',
      dataset: { episodes: 4, seedStart: 0 },
      valRatio: 0.25,
      policy: { id, unet: { diffusionStepEmbedDim: 16, downDims: [16, 32] }, transformer: { nLayer: 1, nHead: 2, nEmb: 32, pDropAttn: 0.1, pDropEmb: 0.1 }, inference: { scheduler: 'ddim', steps: 4 } },
      train: { steps: 6, batchSize: 16, microBatch: 8, workers, warmupSteps: 2, checkpointEvery: 3, logEvery: 1, valEvery: 3, valBatches: 1, lr: 1e-3 },
    });
  const weights = (runDir: string) => loadCheckpoint(resolveCheckpoint(runDir));
  const log = (d: string) => readFileSync(path.join(d, 'train_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number; valLoss?: number });

  it('leaves the worker count out of the run identity', () => {
    expect(runDirOf(tmp, config('diffusion_unet', 2))).toBe(runDirOf(tmp, config('diffusion_unet', 1)));
    expect(runDirOf(tmp, config('diffusion_unet', 2))).toBe(runDirOf(tmp, parseRunConfig({ ...config('diffusion_unet', 1), train: { ...config('diffusion_unet', 1).train, workers: undefined } })));
  });

  it.each(['diffusion_unet', 'diffusion_transformer'] as const)('%s: 2 workers train to the bits of 1, and a run resumes exactly on another worker count', async (id) => {
    // One dataset (collected once, reused), a fresh policy per run.
    const run = async (workers: number, dir: string, o: { resume?: boolean; stopAt?: number } = {}) => {
      const cfg = config(id, workers);
      const p = await prepareRun(cfg, tmp);
      mkdirSync(path.join(tmp, dir), { recursive: true });
      try {
        return await train({ policy: p.policy, train: p.train, val: p.val, cfg: cfg.train, runDir: path.join(tmp, dir), cfgHash: 'test', resume: o.resume ?? false, stopAt: o.stopAt });
      } finally {
        p.policy.dispose();
      }
    };
    const one = await run(1, `${id}-1`);
    const two = await run(2, `${id}-2`);
    expect([one.workers, two.workers]).toEqual([1, 2]);
    await run(2, `${id}-r`, { stopAt: 3 });
    const rest = await run(1, `${id}-r`, { resume: true });
    expect(rest.resumedFrom).toBe(3);
    const a = weights(path.join(tmp, `${id}-1`));
    for (const other of [`${id}-2`, `${id}-r`].map((d) => path.join(tmp, d))) {
      const b = weights(other);
      expect(b.state.step).toBe(6);
      for (const part of ['model', 'ema', 'optimizer'] as const) {
        for (const [name, t] of a[part]!) expect(bytes(b[part]!.get(name)!.data as Float32Array).equals(bytes(t.data as Float32Array)), `${part} ${name}`).toBe(true);
      }
      expect(log(other)).toEqual(log(path.join(tmp, `${id}-1`)).map((l) => ({ ...l, stepsPerSecond: expect.any(Number) })));
    }
  });
});
