/**
 * `npm run bench`: every row the harness can score today, on the protocol's test seeds.
 * Today that is the random policy (the floor) on PushT-v0 with state observations; the expert, MLP-BC
 * and both Diffusion Policy variants join as their issues land.
 */
import path from 'node:path';
import { makeEnv } from '../../envs/index.ts';
import { RandomPolicy } from '../../policies/baselines/random.ts';
import { evaluate, testSeeds } from '../eval/evaluate.ts';
import { writeLeaderboard, type LeaderboardRow } from '../report/leaderboard.ts';
import { envInfo, ROOT } from '../util/env-info.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { cfgHash } from '../util/hash.ts';
import { progress } from '../util/progress.ts';

export interface BenchOptions {
  episodes: number;
  seedStart: number;
  nEnvs: number;
  resultsDir: string;
  /** Rewrite the README's leaderboard table. */
  updateReadme: boolean;
}

export async function runBench(o: BenchOptions): Promise<LeaderboardRow[]> {
  const envId = 'PushT-v0';
  const obsType = 'state';
  const probe = makeEnv(envId, { obsType });
  const { actionSpace, observationSpace } = probe.spec;
  probe.close();
  const policy = new RandomPolicy({ obsDim: observationSpace.size, low: actionSpace.low, high: actionSpace.high });
  const seeds = testSeeds(o.episodes, o.seedStart);
  const config = { env: envId, envOptions: { obsType }, policy: policy.config, seeds: { first: seeds[0], count: seeds.length }, trainingSeed: 0 };
  const runName = `${envId}__${policy.config.id}__s0__${cfgHash(config)}`;
  const runDir = path.join(o.resultsDir, 'runs', runName);
  writeJsonAtomic(path.join(runDir, 'config.json'), config);
  writeJsonAtomic(path.join(runDir, 'env_info.json'), envInfo());

  let successes = 0;
  let scoreSum = 0;
  const bar = progress(`eval ${envId} ${policy.config.id}`, seeds.length);
  const info = await evaluate({
    envId,
    envOptions: { obsType },
    policy,
    seeds,
    nEnvs: o.nEnvs,
    outDir: path.join(runDir, 'eval', 'final'),
    onEpisode: (ep, done) => {
      successes += ep.success ? 1 : 0;
      scoreSum += ep.maxReward;
      bar.update(done, { 'mean max score': scoreSum / done, success: `${successes}/${done}` });
    },
  });
  bar.stop();
  const a = info.aggregated;
  const rows: LeaderboardRow[] = [
    {
      env: envId,
      policy: policy.config.id,
      obs: obsType,
      episodes: a.n_episodes,
      avgMaxReward: a.avg_max_reward,
      successRate: a.success_rate,
      avgFinalCoverage: a.avg_final_coverage,
      avgLength: a.avg_length,
      evalInfo: path.relative(o.resultsDir, path.join(runDir, 'eval', 'final', 'eval_info.json')),
    },
  ];
  writeLeaderboard(
    o.resultsDir,
    {
      generated: new Date().toISOString(),
      protocol: `Test seeds ${seeds[0]}…${seeds[seeds.length - 1]} (${seeds.length} episodes, 300 steps max). Score = max over steps of clip(coverage/0.95, 0, 1) (the paper's Push-T number); success = coverage > 0.95 at some step (LeRobot's); final coverage at the last step. Intervals: 95% Wilson.`,
      rows,
    },
    o.updateReadme ? path.join(ROOT, 'README.md') : undefined,
  );
  return rows;
}
