/**
 * `dpbench eval`: rebuilds a trained run's policy from its config.json alone, loads a checkpoint (the EMA
 * weights by default, as the original evaluates), and rolls it out on the protocol's test seeds, writing
 * `eval/<checkpoint>-<sampler>/eval_info.json` and `episodes.jsonl` in the run folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expertFor, stateLabelInput } from '../collect/experts.ts';
import { isPixelObsType } from '../../envs/core/camera.ts';
import { policyRegistration } from '../../policies/index.ts';
import { parseRunConfig, prepareRun, type PreparedRun, type RunConfig } from '../train/run.ts';
import { resolveCheckpoint } from '../train/checkpoint.ts';
import { loadWeights } from '../train/trainer.ts';
import { evaluate, testSeeds, type EvalInfo } from './evaluate.ts';
import { summarizeModes, type ModeSummary } from './multimodality.ts';
import type { EpisodeRecord } from './rollout.ts';
import type { VideoOptions } from '../render/video.ts';
import { rendererOf, type RendererSource } from '../render/renderer.ts';

export interface EvalRunOptions {
  /** A run folder, its checkpoints folder, or one checkpoint folder. */
  target: string;
  episodes: number;
  seedStart: number;
  nEnvs: number;
  /** Evaluate the EMA weights (the original's `use_ema`), else the raw ones. */
  ema: boolean;
  /** Override the sampler: DDIM with this many steps, or 'ddpm' (DDPM over all training steps); 0: the run's own sampler. */
  ddimSteps: number | 'ddpm';
  /** Reuse an existing eval_info.json of the same checkpoint, sampler and seeds instead of rolling out again. */
  reuse?: boolean;
  onEpisode?: (ep: EpisodeRecord, done: number, total: number) => void;
  /** Write videos (`eval/<checkpoint>/videos/ep_<seed>.{gif,mp4}`) of the first `first` episodes and the failures. */
  videos?: Partial<Omit<VideoOptions, 'dir'>>;
  /** Renderer for pixel observations and videos, asked for only when the rollouts run (default: evaluate's own). */
  renderer?: RendererSource;
}

/** Sampler label of a run's policy: `ddpm100`, `ddim16`, or `deterministic` (no diffusion). */
export function samplerOf(cfg: RunConfig): string {
  const inf = 'inference' in cfg.policy ? cfg.policy.inference : null;
  return inf === null ? 'deterministic' : `${inf.scheduler}${inf.steps}`;
}

export interface LoadedRun {
  ckpt: string;
  runDir: string;
  resultsDir: string;
  cfg: RunConfig;
  prepared: PreparedRun;
}

/**
 * A checkpoint's policy, rebuilt from its run's config.json (optionally sampling with DDIM in
 * `ddimSteps` steps, or with DDPM over all steps when `ddimSteps` is 'ddpm'). The caller disposes
 * `prepared.policy`.
 */
export async function loadRunPolicy(target: string, o: { ema: boolean; ddimSteps: number | 'ddpm' }): Promise<LoadedRun> {
  const ckpt = resolveCheckpoint(target);
  const runDir = path.dirname(path.dirname(ckpt));
  const configFile = path.join(runDir, 'config.json');
  if (!existsSync(configFile)) throw new Error(`eval: ${runDir} has no config.json (is ${target} a dpbench run?)`);
  const raw = JSON.parse(readFileSync(configFile, 'utf8')) as { policy: Record<string, unknown> };
  if (o.ddimSteps !== 0) {
    if (!policyRegistration(raw.policy.id).stochastic) throw new Error(`eval: --ddim applies to diffusion policies; ${String(raw.policy.id)} predicts deterministically`);
    const steps = (raw.policy.numTrainTimesteps as number | undefined) ?? 100;
    raw.policy = { ...raw.policy, inference: o.ddimSteps === 'ddpm' ? { scheduler: 'ddpm', steps } : { scheduler: 'ddim', steps: o.ddimSteps } };
  }
  const cfg = parseRunConfig(raw);
  const resultsDir = path.dirname(path.dirname(runDir));
  const prepared = await prepareRun(cfg, resultsDir);
  try {
    loadWeights(prepared.policy, ckpt, o.ema);
  } catch (e) {
    prepared.policy.dispose();
    throw e;
  }
  return { ckpt, runDir, resultsDir, cfg, prepared };
}

export async function evalRun(o: EvalRunOptions): Promise<{ info: EvalInfo; modes: ModeSummary; outDir: string; reused: boolean }> {
  const { ckpt, runDir, cfg, prepared } = await loadRunPolicy(o.target, { ema: o.ema, ddimSteps: o.ddimSteps });
  try {
    const spec = expertFor(cfg.env);
    const seeds = testSeeds(o.episodes, o.seedStart);
    const outDir = path.join(runDir, 'eval', `${path.basename(ckpt)}${o.ema ? '' : '-raw'}-${samplerOf(cfg)}`);
    const demoLabels = prepared.buffer.getMeta('label').map(String);
    const infoFile = path.join(outDir, 'eval_info.json');
    let info: EvalInfo | null = null;
    if (o.reuse && existsSync(infoFile)) {
      const old = JSON.parse(readFileSync(infoFile, 'utf8')) as EvalInfo;
      if (old.seeds.first === seeds[0] && old.seeds.count === seeds.length) info = old;
    }
    const reused = info !== null;
    // Images carry no mode label: pixel runs are labelled from the state the expert records.
    const fromState = isPixelObsType(cfg.obsType);
    info ??= await evaluate({
      envId: cfg.env,
      envOptions: { obsType: cfg.obsType },
      policy: prepared.policy,
      seeds,
      nEnvs: o.nEnvs,
      labeler: spec.labelObservations,
      ...(fromState ? { labelInput: stateLabelInput(cfg.env) } : {}),
      outDir,
      onEpisode: o.onEpisode,
      ...(o.renderer ? { renderer: await rendererOf(o.renderer) } : {}),
      ...(o.videos ? { videos: o.videos } : {}),
    });
    const modes = summarizeModes(demoLabels, info.per_episode.map((e) => e.mode ?? 'none'), spec.modes);
    return { info, modes, outDir, reused };
  } finally {
    prepared.policy.dispose();
  }
}
