/**
 * `dpbench train`: one training run from a config — demonstrations (collected or reused), train/val
 * split, normalizers, the policy, and the trainer — in results/runs/<env>__<policy>__s<seed>__<cfgHash>/
 * with config.json, env_info.json (backend included), train_log.jsonl and checkpoints/.
 */
import { parseConfig } from '../../policies/core/config.ts';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LinearNormalizer } from '../../policies/core/normalizer.ts';
import { DiffusionPolicyConfig } from '../../policies/diffusion/policy.ts';
import { MlpBcConfig } from '../../policies/baselines/mlp-bc.ts';
import type { TrainablePolicy } from '../../policies/core/trainable.ts';
import { policyIds, policyRegistration } from '../../policies/index.ts';
import { collect, collectConfig } from '../collect/collect.ts';
import type { ReplayBuffer } from '../data/replay-buffer.ts';
import { downsampleMask, getValMask } from '../data/sequence-sampler.ts';
import { backendInfo } from '../backend.ts';
import { envInfo } from '../util/env-info.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { cfgHash, stableStringify } from '../util/hash.ts';
import { makeEnv } from '../../envs/index.ts';
import { OBS_IMAGES, observationMatrix, obsDimOf, WindowBatches } from './batches.ts';
import { train, TrainConfig, type StepInfo, type TrainResult } from './trainer.ts';

// The static type of a run's policy part; parsing goes through the registered policy's own schema.
const DiffusionInRun = DiffusionPolicyConfig.omit({ obsDim: true, actionDim: true, imageShape: true });
const MlpBcInRun = MlpBcConfig.omit({ obsDim: true, actionDim: true });

export const RunConfig = z
  .object({
    env: z.string().default('PushT-v0'),
    /**
     * Observation the policy sees: `state` (the env's: PushT-v0 5, BlockStack-v0 26), `keypoints` (PushT-v0:
     * T corners + agent, 18), or `pixels_agent_pos` (the original's image task: the env's camera image,
     * collected into the dataset as data/img, plus its `agent_pos` — PushT-v0 the agent position,
     * BlockStack-v0 the EE pose and gripper width; diffusion policies only, through their `vision` encoder).
     */
    obsType: z.enum(['state', 'keypoints', 'pixels_agent_pos']).default('keypoints'),
    /** Demonstrations: expert episodes from training seeds `seedStart`… */
    dataset: z.object({ episodes: z.number().int().positive().default(200), seedStart: z.number().int().nonnegative().default(0) }).strict().default({ episodes: 200, seedStart: 0 }),
    /** Share of episodes held out for the validation loss (the original: 0.02). */
    valRatio: z.number().min(0).max(0.5).default(0.02),
    /** Train on at most this many episodes (the original's max_train_episodes: 90); null: all. */
    maxTrainEpisodes: z.number().int().positive().nullable().default(null),
    /**
     * The policy, without obsDim/actionDim (they come from the env and obs type): a Diffusion Policy
     * (`diffusion_unet`, `diffusion_transformer`) or the MLP-BC baseline (`mlp_bc`).
     */
    policy: z.union([DiffusionInRun, MlpBcInRun]),
    train: TrainConfig,
  })
  .strict();
export type RunConfig = z.output<typeof RunConfig>;

/**
 * The registered policy's recipe where the config leaves it open (policies/index.ts: the original's
 * per-variant weight decay, AdamW betas and warm-up, facts §3.3, §3.8), and for image obs types the
 * vision encoder's defaults and a micro-batch that fits wasm's heap.
 */
function withPolicyDefaults(input: unknown): unknown {
  if (input === null || typeof input !== 'object') return input;
  const raw = input as { obsType?: string; policy?: Record<string, unknown> & { vision?: unknown }; train?: { betas?: unknown; warmupSteps?: number; batchSize?: number; microBatch?: number } };
  const reg = policyRegistration(raw.policy?.id);
  // Image obs types: the original's image encoder unless the config tunes it (its defaults then enter the run's
  // hash), and micro-batches of at most 16 windows (32 images at To = 2): with tfjs keeping every activation
  // and its gradient until the backward ends, 64 images of the encoder alone fill ~3 GB of wasm's 4 GB heap.
  const images = reg.imageEncoder && raw.obsType !== undefined && OBS_IMAGES[raw.obsType];
  const vision = images ? { vision: raw.policy?.vision ?? {} } : {};
  const micro = images && raw.train && raw.train.microBatch === undefined ? { microBatch: largestDivisorUpTo(raw.train.batchSize ?? TrainConfig.shape.batchSize.parse(undefined), 16) } : {};
  const td = reg.trainDefaults ?? {};
  return {
    ...raw,
    policy: raw.policy && { ...(reg.policyDefaults ? reg.policyDefaults(raw.policy) : raw.policy), ...vision },
    train: raw.train && {
      ...raw.train,
      ...(raw.train.betas === undefined && td.betas ? { betas: td.betas } : {}),
      ...(raw.train.warmupSteps === undefined && td.warmupSteps !== undefined ? { warmupSteps: td.warmupSteps } : {}),
      ...micro,
    },
  };
}

/** The largest divisor of n that is at most m (a micro-batch must divide the batch). */
function largestDivisorUpTo(n: number, m: number): number {
  if (!Number.isInteger(n) || n < 1) return 0; // the batch size itself is invalid: parsing says so
  let d = Math.min(n, m);
  while (n % d !== 0) d--;
  return d;
}

export function parseRunConfig(input: unknown): RunConfig {
  const id = (input as { policy?: { id?: unknown } } | null)?.policy?.id;
  let reg;
  try {
    reg = policyRegistration(id);
  } catch (e) {
    throw new Error(`run config: ${(e as Error).message}`);
  }
  // Parse against the chosen policy's own schema, so errors name the exact field.
  return parseConfig(RunConfig.extend({ policy: reg.runSchema }), withPolicyDefaults(input), 'run config') as RunConfig;
}

/** The config less the options that leave the weights bit-identical (train.workers): what names a run. */
export function runIdentity(cfg: RunConfig): RunConfig {
  const { workers: _, ...train } = cfg.train;
  return { ...cfg, train };
}

export function runDirOf(resultsDir: string, cfg: RunConfig): string {
  return path.join(resultsDir, 'runs', `${cfg.env}__${cfg.policy.id}__s${cfg.train.seed}__${cfgHash(runIdentity(cfg))}`);
}

export interface PreparedRun {
  cfg: RunConfig;
  runDir: string;
  policy: TrainablePolicy & { parameterCount(): number };
  train: WindowBatches;
  val?: WindowBatches;
  datasetDir: string;
  /** The demonstrations the run trains on (their per-episode mode labels are the evaluation's reference). */
  buffer: ReplayBuffer;
}

/** Everything up to the training loop; also used by evaluation to rebuild a run's policy. */
export async function prepareRun(cfg: RunConfig, resultsDir: string, onCollect?: (done: number, total: number) => void): Promise<PreparedRun> {
  const data = await collect(collectConfig(cfg.env, cfg.dataset.episodes, cfg.dataset.seedStart, cameraSide(cfg)), { resultsDir, onEpisode: onCollect && ((d, t) => onCollect(d, t)) });
  const { buffer } = data;
  const { predictionHorizon: Tp, obsHorizon: To, actionHorizon: Ta } = cfg.policy;
  const valMask = cfg.valRatio > 0 ? getValMask(buffer.nEpisodes, cfg.valRatio, cfg.train.seed) : new Array<boolean>(buffer.nEpisodes).fill(false);
  const trainMask = downsampleMask(valMask.map((v) => !v), cfg.maxTrainEpisodes, cfg.train.seed);
  const windows = { env: cfg.env, obsType: cfg.obsType, obsHorizon: To, predictionHorizon: Tp, actionHorizon: Ta };
  const trainBatches = new WindowBatches(buffer, { ...windows, episodeMask: trainMask });
  const val = valMask.some((v) => v) ? new WindowBatches(buffer, { ...windows, episodeMask: valMask }) : undefined;
  const obsDim = obsDimOf(cfg.obsType, buffer, cfg.env);
  const actionDim = buffer.get('action').stepSize;
  // Fit on the whole buffer, validation episodes included, as the original's get_normalizer.
  const normalizers = { obs: LinearNormalizer.fit(observationMatrix(buffer, cfg.obsType, cfg.env), obsDim), action: LinearNormalizer.fit(buffer.get('action').data as Float32Array, actionDim) };
  const imageShape = trainBatches.imageShape ? { imageShape: trainBatches.imageShape } : {};
  const policy = policyRegistration(cfg.policy.id).make({ ...cfg.policy, obsDim, actionDim, ...imageShape }, normalizers);
  return { cfg, runDir: runDirOf(resultsDir, cfg), policy, train: trainBatches, val, datasetDir: data.dir, buffer };
}

/**
 * Side of the camera images to collect for an image obs type: the env's own rendering size for that obs
 * type, so the dataset's images are what rollouts will show the policy. Undefined for low-dim obs types.
 */
function cameraSide(cfg: RunConfig): number | undefined {
  if (!OBS_IMAGES[cfg.obsType]) {
    if ('vision' in cfg.policy && cfg.policy.vision) throw new Error(`run config: policy.vision needs an image obs type (pixels_agent_pos), got obsType ${cfg.obsType}`);
    return undefined;
  }
  if (!policyRegistration(cfg.policy.id).imageEncoder) {
    const withEncoder = policyIds().filter((id) => policyRegistration(id).imageEncoder);
    throw new Error(`run config: obsType ${cfg.obsType} needs an image encoder, which ${cfg.policy.id} lacks; use ${withEncoder.join(' or ')}`);
  }
  const probe = makeEnv(cfg.env, { obsType: cfg.obsType });
  const px = probe.spec.pixels;
  probe.close();
  if (!px || px.width !== px.height) throw new Error(`run config: obsType ${cfg.obsType} needs square camera images from ${cfg.env}, which renders ${px ? `${px.width}×${px.height}` : 'none'}`);
  return px.width;
}

export interface TrainRunOptions {
  resultsDir: string;
  /** Continue an interrupted run of the same config. */
  resume: boolean;
  onLog?: (info: StepInfo) => void;
  onCollect?: (done: number, total: number) => void;
  stopAt?: number;
}

export async function trainRun(cfg: RunConfig, o: TrainRunOptions): Promise<{ runDir: string; result: TrainResult; prepared: PreparedRun }> {
  const runDir = runDirOf(o.resultsDir, cfg);
  const configFile = path.join(runDir, 'config.json');
  if (existsSync(path.join(runDir, 'checkpoints', 'last')) && !o.resume) {
    throw new Error(`run ${runDir} already has checkpoints; pass --resume to continue it, or remove the folder to start over`);
  }
  if (existsSync(configFile) && stableStringify(runIdentity(JSON.parse(readFileSync(configFile, 'utf8')) as RunConfig)) !== stableStringify(runIdentity(cfg))) {
    throw new Error(`run ${runDir}: config.json differs from this run's config`);
  }
  const prepared = await prepareRun(cfg, o.resultsDir, o.onCollect);
  writeJsonAtomic(configFile, cfg);
  writeJsonAtomic(path.join(runDir, 'env_info.json'), envInfo({ backend: backendInfo(), cfgHash: cfgHash(runIdentity(cfg)), dataset: path.relative(o.resultsDir, prepared.datasetDir), parameters: prepared.policy.parameterCount() }));
  try {
    const result = await train({ policy: prepared.policy, train: prepared.train, val: prepared.val, cfg: cfg.train, runDir, cfgHash: cfgHash(runIdentity(cfg)), resume: o.resume, onLog: o.onLog, stopAt: o.stopAt });
    return { runDir, result, prepared };
  } catch (e) {
    prepared.policy.dispose();
    throw e;
  }
}
