import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointSteps, runBench } from '../../src/bench/bench.ts';
import type { BenchProfile } from '../../src/bench/profiles.ts';
import { initBackend } from '../../src/backend.ts';
import { parseRunConfig, runDirOf, trainRun } from '../../src/train/run.ts';

// A profile small enough for a unit test: every stage runs, nothing is meaningful.
const tiny: BenchProfile = {
  name: 'smoke',
  description: 'unit-test profile',
  tasks: [{ env: 'PushT-v0', obsType: 'keypoints' }],
  demos: 4,
  episodes: 2,
  nEnvs: 2,
  trainingSeeds: [0, 1],
  lastK: 2,
  policies: [
    { kind: 'random' },
    {
      kind: 'trained',
      policy: { id: 'diffusion_unet', unet: { downDims: [8, 16], diffusionStepEmbedDim: 8, kernelSize: 3, nGroups: 4 }, inference: { scheduler: 'ddim', steps: 2 } },
      train: { steps: 4, batchSize: 8, lr: 1e-3, warmupSteps: 1, checkpointEvery: 2, valEvery: 0, logEvery: 2 },
    },
  ],
  latency: { ddimSteps: 2, reps: 1 },
  diversity: { K: 4 },
};

describe('runBench', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('wasm');
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpbench-bench-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resumes an interrupted run, aggregates seeds and checkpoints, and reuses everything on a second bench', async () => {
    // Seed 1's run was killed after step 2: the bench must continue it, not start over.
    const cfg1 = parseRunConfig({ env: 'PushT-v0', obsType: 'keypoints', dataset: { episodes: 4, seedStart: 0 }, policy: tiny.policies[1].kind === 'trained' ? tiny.policies[1].policy : {}, train: { ...(tiny.policies[1] as { train: object }).train, seed: 1 } });
    const partial = await trainRun(cfg1, { resultsDir: dir, resume: false, stopAt: 2 });
    partial.prepared.policy.dispose();
    const runDir1 = runDirOf(dir, cfg1);
    expect(checkpointSteps(runDir1)).toEqual(['000002']);
    const firstLog = readFileSync(path.join(runDir1, 'train_log.jsonl'), 'utf8');

    const lines: string[] = [];
    const lb = await runBench({ profile: tiny, resultsDir: dir, seedStart: 100000, updateReadme: false, log: (l) => lines.push(l) });
    expect(checkpointSteps(runDir1)).toEqual(['000002', '000004']);
    // The resumed run's log continues the interrupted one's.
    expect(readFileSync(path.join(runDir1, 'train_log.jsonl'), 'utf8').startsWith(firstLog)).toBe(true);

    const dp = lb.rows.find((r) => r.policy === 'diffusion_unet')!;
    expect(lb.rows.map((r) => r.policy)).toEqual(['random', 'diffusion_unet']);
    expect(dp.trainingSeeds!.seeds).toEqual([0, 1]);
    expect(dp.episodes).toBe(4); // pooled: 2 test episodes × 2 training seeds
    // Mean ± std across seeds of each seed's last-checkpoint score; the pooled mean equals their mean (equal episode counts).
    const v = dp.trainingSeeds!.avgMaxReward.values;
    expect(dp.trainingSeeds!.avgMaxReward.mean).toBeCloseTo((v[0] + v[1]) / 2, 12);
    expect(dp.avgMaxReward.value).toBeCloseTo((v[0] + v[1]) / 2, 12);
    expect(dp.trainingSeeds!.avgMaxReward.std).toBeCloseTo(Math.abs(v[0] - v[1]) / Math.SQRT2, 12);
    expect(dp.checkpoints!.lastK).toBe(2);
    for (const s of [0, 1]) expect(dp.checkpoints!.bestOfLastK.values[s]).toBeGreaterThanOrEqual(dp.checkpoints!.meanOfLastK.values[s] - 1e-12);
    expect(dp.latency!.map((l) => `${l.sampler}@${l.batch}`)).toEqual(['ddpm100@1', 'ddpm100@2', 'ddim2@1', 'ddim2@2']);
    expect(dp.diversity!.K).toBe(4);
    expect(existsSync(path.join(dir, dp.evalInfo))).toBe(true);
    expect(existsSync(path.join(dir, 'leaderboard.json'))).toBe(true);
    expect(lb.demos!['PushT-v0'].episodes).toBe(4);

    const again: string[] = [];
    const lb2 = await runBench({ profile: tiny, resultsDir: dir, seedStart: 100000, updateReadme: false, log: (l) => again.push(l) });
    expect(again.filter((l) => l.includes('reusing')).length).toBe(1 + 2 + 2 * 2); // random eval; 2 runs; 2 × 2 evaluations
    expect(lb2.rows).toEqual(lb.rows);
  }, 180_000);
});
