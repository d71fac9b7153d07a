import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { parseRunConfig, trainRun } from '../../src/train/run.ts';
import { evalRun } from '../../src/eval/eval-run.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'dpbench-evalrun-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('wasm');
});

describe('dpbench eval', () => {
  it('rebuilds a run from config.json, loads its checkpoint and writes eval_info.json, reproducibly', async () => {
    const cfg = parseRunConfig({
      obsType: 'state',
      dataset: { episodes: 4 },
      valRatio: 0,
      policy: { id: 'diffusion_unet', unet: { diffusionStepEmbedDim: 16, downDims: [16, 32] }, inference: { scheduler: 'ddim', steps: 2 } },
      train: { steps: 2, batchSize: 8, checkpointEvery: 2 },
    });
    const { runDir, prepared } = await trainRun(cfg, { resultsDir: tmp, resume: false });
    prepared.policy.dispose();
    const opts = { target: runDir, episodes: 2, seedStart: 100000, nEnvs: 2, ema: true, ddimSteps: 0 };
    const a = await evalRun(opts);
    expect(existsSync(path.join(a.outDir, 'eval_info.json'))).toBe(true);
    const written = JSON.parse(readFileSync(path.join(a.outDir, 'eval_info.json'), 'utf8')) as { per_episode: Array<{ seed: number; mode: string }> };
    expect(written.per_episode.map((e) => e.seed)).toEqual([100000, 100001]);
    for (const e of written.per_episode) expect(['cw', 'ccw', 'none']).toContain(e.mode);
    expect(a.modes.demoHistogram.cw + a.modes.demoHistogram.ccw + a.modes.neutral.demo).toBe(4);
    const b = await evalRun(opts);
    expect(b.info.per_episode).toEqual(a.info.per_episode);
    await expect(evalRun({ ...opts, target: tmp })).rejects.toThrow(/no checkpoint at/);
  });
});

describe('the MLP-BC baseline through the same run path', () => {
  it('trains with dpbench train and evaluates with dpbench eval (deterministic: two evaluations agree)', async () => {
    const cfg = parseRunConfig({
      obsType: 'keypoints',
      dataset: { episodes: 4 },
      valRatio: 0,
      policy: { id: 'mlp_bc', width: 32, depth: 2 },
      train: { steps: 2, batchSize: 8, checkpointEvery: 2 },
    });
    expect(cfg.policy.id).toBe('mlp_bc');
    const { runDir, prepared } = await trainRun(cfg, { resultsDir: tmp, resume: false });
    prepared.policy.dispose();
    const opts = { target: runDir, episodes: 2, seedStart: 100000, nEnvs: 2, ema: true, ddimSteps: 0 };
    const a = await evalRun(opts);
    expect(path.basename(a.outDir)).toBe('000002-deterministic');
    expect((await evalRun(opts)).info.per_episode).toEqual(a.info.per_episode);
    await expect(evalRun({ ...opts, ddimSteps: 4 })).rejects.toThrow('eval: --ddim applies to diffusion policies; mlp_bc predicts deterministically');
    expect(() => parseRunConfig({ policy: { id: 'mlp_bc', width: 0 }, train: { steps: 1 } })).toThrow(/run config: policy.width: /);
  });
});
