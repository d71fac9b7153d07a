/**
 * A small synthetic results folder for the report tests: a leaderboard of three rows over two envs (a
 * random row, a trained row with every optional field plus two fields no code knows yet, a row without
 * modes) and their run folders (config, env_info, eval_info, episodes, a training log, two GIFs).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Leaderboard } from '../../src/report/leaderboard.ts';

export const RANDOM_RUN = 'runs/PushT-v0__random__s0__aaaa1111';
export const DP_RUN = 'runs/PushT-v0__diffusion_unet__s0__bbbb2222';
export const STACK_RUN = 'runs/BlockStack-v0__expert__s0__cccc3333';
export const IMAGE_RUN = 'runs/PushT-v0__diffusion_unet__s0__dddd4444';

/** 12 log lines every 50 steps, validation every 4th line; losses in (0, 1]. */
export const TRAIN_LOG = Array.from({ length: 12 }, (_, i) => ({
  step: 50 * (i + 1),
  loss: 0.9 * 0.7 ** i,
  lr: 1e-4,
  stepsPerSecond: 3.5,
  emaDecay: 0.9,
  ...(i % 4 === 3 ? { valLoss: 1.1 * 0.7 ** i } : {}),
}));

const GIF_1PX = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export const LEADERBOARD: Leaderboard = {
  generated: '2026-11-25T00:00:00.000Z',
  profile: 'smoke',
  protocol: 'Synthetic protocol for the report test <not HTML>.',
  demos: { 'PushT-v0': { episodes: 20, histogram: { cw: 12, ccw: 6 }, none: 2 } },
  rows: [
    {
      env: 'PushT-v0',
      policy: 'random',
      obs: 'state',
      episodes: 50,
      avgMaxReward: { value: 0.25, low: 0.15, high: 0.38 },
      successRate: { value: 0.1, low: 0.04, high: 0.21 },
      avgFinalCoverage: { value: 0.05, low: 0.01, high: 0.16 },
      avgLength: 300,
      modes: { histogram: { cw: 10, ccw: 30 }, none: 10, jsToDemos: 0.12, entropy: 0.811, commitment: 0.7, switchRate: 0.4 },
      evalInfo: `${RANDOM_RUN}/eval/final/eval_info.json`,
      run: RANDOM_RUN,
    },
    {
      env: 'PushT-v0',
      policy: 'diffusion_unet',
      obs: 'keypoints',
      episodes: 100,
      avgMaxReward: { value: 0.75, low: 0.66, high: 0.83 },
      successRate: { value: 0.5, low: 0.4, high: 0.6 },
      avgFinalCoverage: { value: 0.6, low: 0.5, high: 0.7 },
      avgLength: 180.25,
      modes: { histogram: { cw: 55, ccw: 35 }, none: 10, jsToDemos: 0.01, entropy: 0.964, commitment: 0.95, switchRate: 0.05 },
      evalInfo: `${DP_RUN}/eval/000600-ddim8/eval_info.json`,
      run: DP_RUN,
      trainingSeeds: { seeds: [0, 1], avgMaxReward: { mean: 0.7, std: 0.05, values: [0.65, 0.75] }, successRate: { mean: 0.45, std: 0.07, values: [0.4, 0.5] } },
      checkpoints: { lastK: 2, steps: 600, sampler: 'ddim8', meanOfLastK: { mean: 0.68, std: 0.04, values: [0.64, 0.72] }, bestOfLastK: { mean: 0.72, std: 0.03, values: [0.7, 0.74] } },
      latency: [
        { sampler: 'ddpm100', batch: 1, ms_mean: 251.5, ms_median: 250, reps: 5 },
        { sampler: 'ddim8', batch: 1, ms_mean: 20.25, ms_median: 20, reps: 5 },
        { sampler: 'ddpm100', batch: 8, ms_mean: 1004, ms_median: 1000, reps: 5 },
      ],
      diversity: { seed: 100003, K: 16, radius: 20, endpoints: Array.from({ length: 32 }, (_, i) => i), clusters: 2, sizes: [10, 6], spread: 41.5, maxPairwise: 120 },
      // Fields no code knows yet: the table must still show them.
      ...({ checkpointTag: 'epoch=0600', wallClockS: 123.456 } as object),
    },
    {
      env: 'BlockStack-v0',
      policy: 'expert',
      obs: 'state',
      episodes: 20,
      avgMaxReward: { value: 0.9, low: 0.7, high: 0.97 },
      successRate: { value: 0.85, low: 0.64, high: 0.95 },
      avgFinalCoverage: { value: 0.8, low: 0.58, high: 0.92 },
      avgLength: 95.5,
      evalInfo: `${STACK_RUN}/eval/final/eval_info.json`,
    },
  ],
};

const json = (file: string, v: unknown) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(v, null, 2)}\n`);
};

/** An image DP-C row (obs pixels_agent_pos): the keypoint DP-C row's fields but its observation, score, run and latency. */
export const IMAGE_ROW: Leaderboard['rows'][number] = {
  ...LEADERBOARD.rows[1],
  obs: 'pixels_agent_pos',
  avgMaxReward: { value: 0.4, low: 0.3, high: 0.5 },
  evalInfo: `${IMAGE_RUN}/eval/001200-ddim16/eval_info.json`,
  run: IMAGE_RUN,
  latency: [{ sampler: 'ddim16', batch: 1, ms_mean: 61.5, ms_median: 60, reps: 3 }],
};

/** Writes the run folders of `rows` (default LEADERBOARD's) under `resultsDir`, a training log in each trained row's (the leaderboard itself is the test's to write). */
export function writeFixtureRuns(resultsDir: string, rows: Leaderboard['rows'] = LEADERBOARD.rows): void {
  for (const row of rows) {
    const evalDir = path.join(resultsDir, path.dirname(row.evalInfo));
    const runDir = path.dirname(path.dirname(evalDir));
    const episodes = Array.from({ length: 3 }, (_, i) => ({ seed: 100000 + i, noiseSeed: 100000 + i, maxReward: 0.5, success: false, maxCoverage: 0.45, finalCoverage: 0.4, length: 300, terminated: false, truncated: true, mode: 'cw' }));
    json(path.join(runDir, 'config.json'), { env: row.env, policy: { id: row.policy } });
    json(path.join(runDir, 'env_info.json'), { node: process.version });
    json(path.join(evalDir, 'eval_info.json'), { env: row.env, policy: row.policy, seeds: { first: 100000, count: 3 }, per_episode: episodes, aggregated: { n_episodes: 3 } });
    writeFileSync(path.join(evalDir, 'episodes.jsonl'), episodes.map((e) => JSON.stringify(e)).join('\n') + '\n');
  }
  for (const row of rows) if (row.trainingSeeds) writeFileSync(path.join(resultsDir, row.run!, 'train_log.jsonl'), TRAIN_LOG.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const dp = path.join(resultsDir, DP_RUN);
  json(path.join(dp, 'eval', 'probes-0123abcd.json'), { latency: [], diversity: null });
  for (const seed of [100000, 100001]) {
    mkdirSync(path.join(dp, 'eval', '000600-ddim8', 'videos'), { recursive: true });
    writeFileSync(path.join(dp, 'eval', '000600-ddim8', 'videos', `ep_${seed}.gif`), GIF_1PX);
  }
}
