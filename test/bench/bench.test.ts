import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkpointSteps, runBench } from '../../src/bench/bench.ts';
import type { BenchProfile } from '../../src/bench/profiles.ts';
import { initBackend } from '../../src/backend.ts';
import { ReplayBuffer } from '../../src/data/replay-buffer.ts';
import type { EvalInfo } from '../../src/eval/evaluate.ts';
import { Renderer } from '../../src/render/renderer.ts';
import { sceneFor } from '../../src/render/scenes.ts';
import { makeEnv } from '../../envs/index.ts';
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

  // The image task alone: no low-dim task scores PushT-v0's baselines, so it scores random itself (modes from the
  // state); MLP-BC is in the profile but cannot see images. A tiny DP-C (ResNet width 16) trains 2 steps.
  const imageTiny: BenchProfile = {
    ...tiny,
    tasks: [{ env: 'PushT-v0', obsType: 'pixels_agent_pos', demos: 3, trained: { diffusion_unet: { policy: { vision: { resnetWidth: 16, cropShape: [72, 72] } }, train: { steps: 2, batchSize: 4, microBatch: 2 } } } }],
    trainingSeeds: [0],
    lastK: 1,
    policies: [...tiny.policies, { kind: 'trained', policy: { id: 'mlp_bc', width: 16, depth: 1 }, train: { steps: 2, batchSize: 4 } }],
  };
  const launches = () => vi.spyOn(Renderer, 'launch');
  const expectClosed = async (r: Renderer) => {
    const env = makeEnv('PushT-v0');
    env.reset({ seed: 0 });
    await expect(r.render(sceneFor('PushT-v0'), [env.frame()], { width: 96, height: 96 })).rejects.toThrow(/after close\(\)/);
    env.close();
  };
  const readJson = <T,>(...parts: string[]) => JSON.parse(readFileSync(path.join(...parts), 'utf8')) as T;

  it('an image task: collects images once, trains and evaluates its DP-C on rendered pixels, probes it, with one renderer it closes; a second bench launches none', async () => {
    const imgDir = path.join(dir, 'image');
    const spy = launches();
    try {
      const lb = await runBench({ profile: imageTiny, resultsDir: imgDir, seedStart: 100000, updateReadme: false, log: () => undefined });
      expect(lb.rows.map((r) => [r.policy, r.obs])).toEqual([['random', 'pixels_agent_pos'], ['diffusion_unet', 'pixels_agent_pos']]);
      // One browser for the whole task, closed at its end.
      expect(spy).toHaveBeenCalledTimes(1);
      await expectClosed(await spy.mock.results[0].value);

      // One PushT-v0 dataset, with camera images: the bench collected it and training reused it.
      const datasets = readdirSync(path.join(imgDir, 'datasets'));
      expect(datasets).toHaveLength(1);
      const buf = await ReplayBuffer.load(path.join(imgDir, 'datasets', datasets[0], 'replay.zarr'));
      expect(buf.get('img').perStep).toEqual([96, 96, 3]);
      expect(buf.nEpisodes).toBe(3);

      const dp = lb.rows[1];
      const cfg = readJson<{ obsType: string; policy: { vision: { resnetWidth: number } } }>(imgDir, dp.run!, 'config.json');
      expect(cfg.obsType).toBe('pixels_agent_pos');
      expect(cfg.policy.vision.resnetWidth).toBe(16);
      // The rollouts were drawn by Chromium (evaluate records the browser), and every episode has a mode label from the state.
      for (const row of lb.rows) {
        const info = readJson<EvalInfo>(imgDir, row.evalInfo);
        expect(info.renderer?.browser, row.policy).toMatch(/Chrome/);
        expect(info.per_episode.every((e) => ['cw', 'ccw', 'none'].includes(e.mode!)), row.policy).toBe(true);
      }
      expect(dp.latency!.map((l) => `${l.sampler}@${l.batch}`)).toEqual(['ddpm100@1', 'ddpm100@2', 'ddim2@1', 'ddim2@2']);
      expect(dp.diversity!.K).toBe(4);
      expect(dp.diversity!.endpoints).toHaveLength(4 * 2);

      spy.mockClear();
      const lb2 = await runBench({ profile: imageTiny, resultsDir: imgDir, seedStart: 100000, updateReadme: false, log: () => undefined });
      expect(spy).not.toHaveBeenCalled(); // everything reused: nothing to draw
      expect(lb2.rows).toEqual(lb.rows);
    } finally {
      spy.mockRestore();
    }
  }, 300_000);

  it("refuses a profile whose run configs do not parse before it launches or collects anything", async () => {
    const spy = launches();
    try {
      const broken: BenchProfile = { ...imageTiny, tasks: [{ ...imageTiny.tasks[0], trained: { diffusion_unet: { policy: { vision: { resnetWidth: 20 } } } } }] };
      await expect(runBench({ profile: broken, resultsDir: path.join(dir, 'broken'), seedStart: 100000, updateReadme: false, log: () => undefined })).rejects.toThrow(/resnetWidth/);
      expect(spy).not.toHaveBeenCalled();
      expect(existsSync(path.join(dir, 'broken'))).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });

  it("closes an image task's renderer when a stage fails after launching it", async () => {
    const spy = launches();
    const render = vi.spyOn(Renderer.prototype, 'render').mockRejectedValue(new Error('injected render failure'));
    try {
      await expect(runBench({ profile: imageTiny, resultsDir: path.join(dir, 'failing'), seedStart: 100000, updateReadme: false, log: () => undefined })).rejects.toThrow(/injected render failure/);
      expect(spy).toHaveBeenCalledTimes(1); // for the demonstrations' images
      render.mockRestore();
      await expectClosed(await spy.mock.results[0].value);
    } finally {
      render.mockRestore();
      spy.mockRestore();
    }
  }, 120_000);
});

describe('runBench with only', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('wasm');
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpbench-only-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Push-T with the tiny DP-C and random; BlockStack-v0 with random alone (`trained: {}`), its demos only its histogram.
  const two: BenchProfile = { ...tiny, trainingSeeds: [0], lastK: 1, tasks: [{ env: 'PushT-v0', obsType: 'keypoints' }, { env: 'BlockStack-v0', obsType: 'state', demos: 3, trained: {} }] };
  const bench = (profile: BenchProfile, only?: string[], resultsDir = dir, log: (l: string) => void = () => undefined, videos?: number) =>
    runBench({ profile, resultsDir, seedStart: 100000, updateReadme: false, log, ...(only && { only }), ...(videos && { videos }) });
  const leaderboardFile = () => readFileSync(path.join(dir, 'leaderboard.json'), 'utf8');

  it("re-runs one env's tasks and keeps the other env's rows without touching their runs; refuses rows another config made", async () => {
    const lb = await bench(two, undefined, dir, () => undefined, 1);
    expect(lb.rows.map((r) => `${r.env} ${r.policy}`)).toEqual(['PushT-v0 random', 'PushT-v0 diffusion_unet', 'BlockStack-v0 random']);
    // videos: 1 → the first test episode of every row's final evaluation, state tasks included, linked from the page.
    const page = readFileSync(path.join(dir, 'index.html'), 'utf8');
    for (const r of lb.rows) {
      const videos = path.join(path.dirname(r.evalInfo), 'videos');
      expect(readdirSync(path.join(dir, videos)).filter((f) => f.endsWith('.gif')), r.policy).toEqual(['ep_100000.gif']);
      expect(page).toContain(`${videos}/ep_100000.gif`);
    }
    // Only the last checkpoint of a trained run: the earlier one's evaluation has none.
    expect(existsSync(path.join(dir, lb.rows[1].run!, 'eval', '000002-ddim2', 'videos'))).toBe(false);
    const dp = lb.rows[1];
    // Without its checkpoints, anything that looked at the Push-T DP-C run again would train it again.
    rmSync(path.join(dir, dp.run!, 'checkpoints'), { recursive: true });

    const changed: BenchProfile = { ...two, tasks: [two.tasks[0], { ...two.tasks[1], demos: 2 }] };
    const lines: string[] = [];
    const lb2 = await bench(changed, ['BlockStack-v0'], dir, (l) => lines.push(l));
    expect(checkpointSteps(path.join(dir, dp.run!))).toEqual([]);
    expect(lines.filter((l) => l.includes('PushT-v0'))).toEqual(['[smoke] PushT-v0 keypoints: keeping its 2 rows (--only BlockStack-v0)']);
    expect(lb2.rows.slice(0, 2)).toEqual(lb.rows.slice(0, 2));
    expect(lb2.rows.map((r) => `${r.env} ${r.policy}`)).toEqual(lb.rows.map((r) => `${r.env} ${r.policy}`));
    expect(lb2.demos!['PushT-v0']).toEqual(lb.demos!['PushT-v0']);
    expect(lb2.demos!['BlockStack-v0'].episodes).toBe(2); // re-collected for the changed task
    expect(JSON.parse(leaderboardFile()).rows).toEqual(JSON.parse(JSON.stringify(lb2.rows))); // JSON: NaN (no labelled rollouts) reads back as null

    // Refusals come before anything runs, and leave the leaderboard as it was.
    const before = leaderboardFile();
    await expect(bench(changed, ['Nope-v0'])).rejects.toThrow('bench --only: "Nope-v0" is not an env of profile smoke; its envs: PushT-v0, BlockStack-v0');
    const longer = (two.policies[1] as { train: object }).train;
    const retrained: BenchProfile = { ...changed, policies: [two.policies[0], { ...(two.policies[1] as BenchProfile['policies'][number] & { kind: 'trained' }), train: { ...longer, steps: 6 } }] };
    await expect(bench(retrained, ['BlockStack-v0'])).rejects.toThrow(/the PushT-v0 diffusion_unet \(keypoints\) row came from runs\/PushT-v0__diffusion_unet__s0__\w+, but the profile now names runs\/PushT-v0__diffusion_unet__s0__\w+; run the whole profile/);
    await expect(bench({ ...changed, tasks: [{ ...two.tasks[0], demos: 5 }, changed.tasks[1]] }, ['BlockStack-v0'])).rejects.toThrow(/has 4 PushT-v0 demonstrations, the profile 5/);
    await expect(bench(changed, ['BlockStack-v0'], path.join(dir, 'empty'))).rejects.toThrow(/leaderboard\.json, which does not exist; run the whole profile once first/);
    expect(existsSync(path.join(dir, 'empty'))).toBe(false);
    expect(leaderboardFile()).toBe(before);
    // Naming every env keeps nothing, so it needs no earlier leaderboard.
    const alone = await bench({ ...two, tasks: [two.tasks[1]] }, ['BlockStack-v0'], path.join(dir, 'alone'));
    expect(alone.rows.map((r) => `${r.env} ${r.policy}`)).toEqual(['BlockStack-v0 random']);
  }, 180_000);
});
