/**
 * One evaluation: rollouts over a disclosed seed list, written as LeRobot-shaped `eval_info.json`
 * (`per_episode`, `aggregated`) plus `episodes.jsonl`, atomically.
 */
import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { mean, wilson, wilsonMean, type Interval } from './metrics.ts';
import { commitment, switchRate } from './multimodality.ts';
import { rollout, type EpisodeRecord, type RolloutOptions } from './rollout.ts';
import type { VideoOptions } from '../render/video.ts';
import { Renderer } from '../render/renderer.ts';
import { makeEnv } from '../../envs/index.ts';

export interface Aggregated {
  n_episodes: number;
  /** Mean over episodes of the max reward (the paper's Push-T score), with a 95% Wilson interval. */
  avg_max_reward: Interval;
  /** Share of episodes that reached success (LeRobot's pc_success / 100), 95% Wilson interval. */
  success_rate: Interval;
  /** Mean final coverage (VQ-BeT's number), 95% Wilson interval. */
  avg_final_coverage: Interval;
  avg_max_coverage: number;
  /** Share of episodes in which each task event happened (BlockStack-v0: p1, p2), 95% Wilson interval. */
  event_rates?: Record<string, Interval>;
  avg_length: number;
  /**
   * Mode commitment (mean share of an episode's labelled 8-step stretches in its main mode; 1 = never
   * switches) and switch rate (mode changes per consecutive labelled stretch), facts §7.5; null without labels.
   */
  commitment: number | null;
  switch_rate: number | null;
  /** Wall time of the batched policy calls (one per action chunk): the policy's latency. */
  policy_latency: { calls: number; mean_batch: number; ms_per_call_mean: number; ms_per_call_median: number } | null;
  eval_s: number;
  eval_ep_s: number;
}

export interface EvalInfo {
  env: string;
  policy: string;
  seeds: { first: number; count: number };
  per_episode: EpisodeRecord[];
  aggregated: Aggregated;
  /** The browser that rendered pixel observations or videos (absent when nothing was rendered). */
  renderer?: { browser: string; webgl: string; restarts: number };
}

export function aggregate(eps: readonly EpisodeRecord[], evalS: number, calls: ReadonlyArray<{ ms: number; batch: number }> = []): Aggregated {
  const ms = calls.map((c) => c.ms).sort((a, b) => a - b);
  const stretches = eps.filter((e) => e.chunkModes).map((e) => e.chunkModes!);
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    commitment: stretches.length ? finite(commitment(stretches)) : null,
    switch_rate: stretches.length ? finite(switchRate(stretches)) : null,
    policy_latency: calls.length
      ? { calls: calls.length, mean_batch: mean(calls.map((c) => c.batch)), ms_per_call_mean: mean(ms), ms_per_call_median: ms[ms.length >> 1] }
      : null,
    n_episodes: eps.length,
    avg_max_reward: wilsonMean(eps.map((e) => e.maxReward)),
    success_rate: wilson(eps.filter((e) => e.success).length, eps.length),
    avg_final_coverage: wilsonMean(eps.map((e) => Math.min(1, Math.max(0, e.finalCoverage)))),
    avg_max_coverage: mean(eps.map((e) => e.maxCoverage)),
    ...(eventRates(eps) && { event_rates: eventRates(eps) }),
    avg_length: mean(eps.map((e) => e.length)),
    eval_s: evalS,
    eval_ep_s: eps.length ? evalS / eps.length : NaN,
  };
}

export interface EvaluateOptions extends Omit<RolloutOptions, 'videos'> {
  outDir?: string;
  /** Videos of some episodes (default the first 4 and every failure), into `<outDir>/videos/` unless `dir` says otherwise. */
  videos?: Partial<VideoOptions>;
}

/** Per task event, the share of episodes where it happened; undefined when no episode reports events. */
export function eventRates(eps: readonly EpisodeRecord[]): Record<string, Interval> | undefined {
  const keys = [...new Set(eps.flatMap((e) => Object.keys(e.events ?? {})))].sort();
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((k) => [k, wilson(eps.filter((e) => e.events?.[k]).length, eps.length)]));
}

export async function evaluate(opts: EvaluateOptions): Promise<EvalInfo> {
  const t0 = performance.now();
  const calls: Array<{ ms: number; batch: number }> = [];
  let videos: VideoOptions | undefined;
  if (opts.videos) {
    const dir = opts.videos.dir ?? (opts.outDir ? path.join(opts.outDir, 'videos') : undefined);
    if (!dir) throw new Error('evaluate: videos need a folder: give outDir or videos.dir');
    videos = { ...opts.videos, dir };
  }
  // Launch the renderer here rather than in the rollout, to record which browser drew the frames.
  let renderer = opts.renderer;
  const own = renderer === undefined && (videos !== undefined || hasCamera(opts.envId, opts.envOptions));
  if (own) renderer = await Renderer.launch();
  let eps: EpisodeRecord[];
  let drawnBy: EvalInfo['renderer'];
  try {
    eps = await rollout({ ...opts, renderer, videos, onPolicyCall: (ms, batch) => (calls.push({ ms, batch }), opts.onPolicyCall?.(ms, batch)) });
    if (renderer) {
      const ri = await renderer.info();
      drawnBy = { browser: ri.browser, webgl: ri.webgl, restarts: renderer.restarts };
    }
  } finally {
    if (own) await renderer?.close();
  }
  const info: EvalInfo = {
    env: opts.envId,
    policy: opts.policy.config.id,
    seeds: { first: opts.seeds[0], count: opts.seeds.length },
    per_episode: eps,
    aggregated: aggregate(eps, (performance.now() - t0) / 1000, calls),
    ...(drawnBy ? { renderer: drawnBy } : {}),
  };
  if (opts.outDir) {
    writeFileAtomic(path.join(opts.outDir, 'episodes.jsonl'), eps.map((e) => JSON.stringify(e)).join('\n') + '\n');
    writeJsonAtomic(path.join(opts.outDir, 'eval_info.json'), info);
  }
  return info;
}

function hasCamera(envId: string, envOptions?: Record<string, unknown>): boolean {
  const probe = makeEnv(envId, envOptions);
  const yes = probe.spec.pixels !== undefined;
  probe.close();
  return yes;
}

/** Test seeds of the protocol: start + i (Push-T: 100000 + i, as diffusion_policy and LeRobot). */
export function testSeeds(count: number, start = 100000): number[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`episodes must be a positive integer, got ${count}`);
  if (!Number.isInteger(start) || start < 0) throw new Error(`seed start must be a non-negative integer, got ${start}`);
  return Array.from({ length: count }, (_, i) => start + i);
}
