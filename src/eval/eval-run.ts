/**
 * `dpbench eval`: rebuilds a trained run's policy from its config.json alone, loads a checkpoint (the EMA
 * weights by default, as the original evaluates), and rolls it out on the protocol's test seeds, writing
 * `eval/<checkpoint>/eval_info.json` and `episodes.jsonl` in the run folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expertFor } from '../collect/experts.ts';
import { parseRunConfig, prepareRun } from '../train/run.ts';
import { resolveCheckpoint } from '../train/checkpoint.ts';
import { loadWeights } from '../train/trainer.ts';
import { evaluate, testSeeds, type EvalInfo } from './evaluate.ts';
import { summarizeModes, type ModeSummary } from './multimodality.ts';
import type { EpisodeRecord } from './rollout.ts';

export interface EvalRunOptions {
  /** A run folder, its checkpoints folder, or one checkpoint folder. */
  target: string;
  episodes: number;
  seedStart: number;
  nEnvs: number;
  /** Evaluate the EMA weights (the original's `use_ema`), else the raw ones. */
  ema: boolean;
  /** Override the sampler: DDIM with this many steps (0: the run's own sampler). */
  ddimSteps: number;
  onEpisode?: (ep: EpisodeRecord, done: number, total: number) => void;
}

export async function evalRun(o: EvalRunOptions): Promise<{ info: EvalInfo; modes: ModeSummary; outDir: string }> {
  const ckpt = resolveCheckpoint(o.target);
  const runDir = path.dirname(path.dirname(ckpt));
  const configFile = path.join(runDir, 'config.json');
  if (!existsSync(configFile)) throw new Error(`eval: ${runDir} has no config.json (is ${o.target} a dpbench run?)`);
  const raw = JSON.parse(readFileSync(configFile, 'utf8')) as { policy: Record<string, unknown> };
  if (o.ddimSteps > 0) {
    if (raw.policy.id === 'mlp_bc') throw new Error('eval: --ddim applies to diffusion policies; mlp_bc predicts deterministically');
    raw.policy = { ...raw.policy, inference: { scheduler: 'ddim', steps: o.ddimSteps } };
  }
  const cfg = parseRunConfig(raw);
  const resultsDir = path.dirname(path.dirname(runDir));
  const prepared = await prepareRun(cfg, resultsDir);
  try {
    loadWeights(prepared.policy, ckpt, o.ema);
    const spec = expertFor(cfg.env);
    const inf = 'inference' in cfg.policy ? cfg.policy.inference : null;
    const sampler = inf === null ? 'deterministic' : inf.scheduler === 'ddim' ? `ddim${inf.steps}` : 'ddpm';
    const outDir = path.join(runDir, 'eval', `${path.basename(ckpt)}${o.ema ? '' : '-raw'}-${sampler}`);
    const info = await evaluate({
      envId: cfg.env,
      envOptions: { obsType: cfg.obsType },
      policy: prepared.policy,
      seeds: testSeeds(o.episodes, o.seedStart),
      nEnvs: o.nEnvs,
      labeler: spec.labelObservations,
      outDir,
      onEpisode: o.onEpisode,
    });
    const demoLabels = prepared.buffer.getMeta('label').map(String);
    const modes = summarizeModes(demoLabels, info.per_episode.map((e) => e.mode ?? 'none'), spec.modes);
    return { info, modes, outDir };
  } finally {
    prepared.policy.dispose();
  }
}
