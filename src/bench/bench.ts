/**
 * `npm run bench`: every row the harness can score today, on the protocol's test seeds, with the
 * multimodality block (mode histogram against the demonstrations', JS divergence). Today that is the
 * random policy (the floor) and the scripted expert (the ceiling) on PushT-v0 with state observations;
 * MLP-BC and both Diffusion Policy variants join with the bench profiles (issue 6).
 */
import path from 'node:path';
import { makeEnv } from '../../envs/index.ts';
import { RandomPolicy } from '../../policies/baselines/random.ts';
import type { Policy } from '../../policies/core/policy.ts';
import { collect, collectConfig } from '../collect/collect.ts';
import { expertFor } from '../collect/experts.ts';
import { evaluate, testSeeds } from '../eval/evaluate.ts';
import { ExpertPolicy } from '../eval/expert-policy.ts';
import { summarizeModes } from '../eval/multimodality.ts';
import { writeLeaderboard, type LeaderboardRow } from '../report/leaderboard.ts';
import { envInfo, ROOT } from '../util/env-info.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { cfgHash } from '../util/hash.ts';
import { evalProgress, progress } from '../util/progress.ts';

export interface BenchOptions {
  episodes: number;
  seedStart: number;
  nEnvs: number;
  resultsDir: string;
  /** Demonstrations whose mode histogram the rows are compared with (training seeds 0…). */
  demoEpisodes: number;
  /** Rewrite the README's leaderboard table. */
  updateReadme: boolean;
}

export async function runBench(o: BenchOptions): Promise<LeaderboardRow[]> {
  const envId = 'PushT-v0';
  const obsType = 'state';
  const probe = makeEnv(envId, { obsType });
  const { actionSpace, observationSpace } = probe.spec;
  probe.close();
  const spec = expertFor(envId);
  const seeds = testSeeds(o.episodes, o.seedStart);

  // The demonstrations' mode histogram: the reference every row's histogram is compared with.
  const demoBar = progress(`collect ${envId} demos`, o.demoEpisodes);
  const demos = await collect(collectConfig(envId, o.demoEpisodes, 0), { resultsDir: o.resultsDir, onEpisode: (d) => demoBar.update(d) });
  demoBar.stop();
  const demoLabels = demos.buffer.getMeta('label').map(String);

  const policies: Policy[] = [
    new RandomPolicy({ obsDim: observationSpace.size, low: actionSpace.low, high: actionSpace.high }),
    new ExpertPolicy(envId, observationSpace.size, actionSpace.size),
  ];
  const rows: LeaderboardRow[] = [];
  for (const policy of policies) {
    const config = { env: envId, envOptions: { obsType }, policy: policy.config, seeds: { first: seeds[0], count: seeds.length }, trainingSeed: 0 };
    const runName = `${envId}__${policy.config.id}__s0__${cfgHash(config)}`;
    const runDir = path.join(o.resultsDir, 'runs', runName);
    writeJsonAtomic(path.join(runDir, 'config.json'), config);
    writeJsonAtomic(path.join(runDir, 'env_info.json'), envInfo());
    const bar = evalProgress(`eval ${envId} ${policy.config.id}`, seeds.length);
    const info = await evaluate({
      envId,
      envOptions: { obsType },
      policy,
      seeds,
      nEnvs: o.nEnvs,
      labeler: spec.labelObservations,
      outDir: path.join(runDir, 'eval', 'final'),
      onEpisode: bar.onEpisode,
    });
    bar.stop();
    const a = info.aggregated;
    const modes = summarizeModes(demoLabels, info.per_episode.map((e) => e.mode ?? 'none'), spec.modes);
    rows.push({
      env: envId,
      policy: policy.config.id,
      obs: obsType,
      episodes: a.n_episodes,
      avgMaxReward: a.avg_max_reward,
      successRate: a.success_rate,
      avgFinalCoverage: a.avg_final_coverage,
      avgLength: a.avg_length,
      modes: { histogram: modes.rolloutHistogram, none: modes.neutral.rollout, jsToDemos: modes.jsToDemos, entropy: modes.rolloutEntropy, commitment: a.commitment, switchRate: a.switch_rate },
      evalInfo: path.relative(o.resultsDir, path.join(runDir, 'eval', 'final', 'eval_info.json')),
    });
  }
  const demoSummary = summarizeModes(demoLabels, demoLabels, spec.modes);
  writeLeaderboard(
    o.resultsDir,
    {
      generated: new Date().toISOString(),
      protocol: `Test seeds ${seeds[0]}…${seeds[seeds.length - 1]} (${seeds.length} episodes, 300 steps max). Score = max over steps of clip(coverage/0.95, 0, 1) (the paper's Push-T number); success = coverage > 0.95 at some step (LeRobot's); final coverage at the last step. Intervals: 95% Wilson. Modes: the direction the T was turned (cw/ccw; none = turned < 3°), against ${demoLabels.length} expert demonstrations (seeds 0+: ${spec.modes.map((m) => `${m} ${demoSummary.demoHistogram[m]}`).join(', ')}, none ${demoSummary.neutral.demo}); JS = Jensen–Shannon divergence (bits) of the rows' cw/ccw histogram to the demonstrations'. Commitment = mean share of an episode's labelled 8-step stretches turning its main way (1 = never switches).`,
      rows,
    },
    o.updateReadme ? path.join(ROOT, 'README.md') : undefined,
  );
  return rows;
}
