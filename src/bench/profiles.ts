/**
 * Bench profiles: which tasks, policies, training seeds and evaluation budget one `npm run bench` covers.
 *
 *   smoke  the whole pipeline (collect → train → evaluate → report) in a few minutes: CI's regression check,
 *          image Push-T included (a tiny image DP-C, so the pixel path runs too)
 *   quick  the default: small networks, short training; ~2 hours on 2 idle CPU cores (it was meant to take 30
 *          minutes; README, Bench: How quick was sized),
 *          plus an image DP-C with a narrow encoder sized for ~15 minutes more
 *   paper  the original's configs (facts §3): DP-C [256,512,1024], DP-T 8×256, DDPM-100, 3 training seeds, and
 *          the image DP-C / DP-T of facts §3.2–3.4; days on a CPU, a GPU advised
 *
 * A trained row is one (task, policy) over `trainingSeeds`; each seed's run lives in its own
 * results/runs/<env>__<policy>__s<seed>__<cfgHash>/, so a bench killed mid-way resumes where it stopped
 * (finished runs and evaluations are reused when their config hash matches).
 *
 * What runs on a task (src/bench/schedule.ts):
 * - Trained entries: by default every entry of `policies` the task's observation allows, as declared; an image
 *   task (`pixels_agent_pos`) only those with an image encoder (DP-C, DP-T; never MLP-BC). A task's `trained`
 *   names the entries it runs instead, each with its own overrides of the entry's `policy` / `train` parts —
 *   the one way a task changes a trained entry. A task without `trained` runs the entries unchanged, so their
 *   configs, and the hashes that name their runs, do not depend on what other tasks a profile has.
 * - Expert and random rows act without looking at the observation (the expert from the env's state, random
 *   actions uniformly), so on an image task they would repeat, episode for episode, the rows of a low-dim task
 *   on the same env (same dynamics, same test seeds). They are scored once per env, on its low-dim task, and the
 *   image rows are read against those; an image task whose env has no low-dim task in the profile scores them
 *   itself (modes labelled from the env's state).
 */

export type ProfileName = 'smoke' | 'quick' | 'paper';
export const PROFILE_NAMES: readonly ProfileName[] = ['smoke', 'quick', 'paper'];

export interface TaskEntry {
  env: string;
  /**
   * What the policies see: the env's `state`, Push-T's `keypoints`, or `pixels_agent_pos` (the env's 96×96 camera
   * image, rendered in headless Chromium, plus the agent's own position; policies with an image encoder only).
   */
  obsType: 'state' | 'keypoints' | 'pixels_agent_pos';
  /** Demonstrations for this task (default: the profile's); tasks on one env must agree (one reference histogram per env). */
  demos?: number;
  /** Scales every trained entry's steps (and checkpoint/validation intervals) for this task, after `trained`'s overrides (default 1). */
  stepScale?: number;
  /**
   * The trained entries that run on this task, by policy id, each with this task's overrides (`{}`: as declared);
   * rows keep the order of `policies`. Absent: every trained entry the observation allows, unchanged.
   */
  trained?: Partial<Record<TrainedPolicyId, TrainedOverride>>;
}

/** A row scored without training: the scripted expert (ceiling) or uniform random actions (floor). */
export interface BaselineEntry {
  kind: 'expert' | 'random';
}

/** A row trained from demonstrations: the `policy` and `train` parts of a run config (src/train/run.ts). */
export interface TrainedEntry {
  kind: 'trained';
  policy: Record<string, unknown> & { id: 'diffusion_unet' | 'diffusion_transformer' | 'mlp_bc' };
  train: Record<string, unknown> & { steps: number };
}

export type PolicyEntry = BaselineEntry | TrainedEntry;

export type TrainedPolicyId = TrainedEntry['policy']['id'];

/**
 * What one task changes in a trained entry, merged over the entry's `policy` and `train` parts: objects field by
 * field (`{ unet: { downDims: [32, 64] } }` keeps the entry's other U-Net fields), anything else replaced.
 */
export interface TrainedOverride {
  policy?: Record<string, unknown>;
  train?: Record<string, unknown>;
}

export interface BenchProfile {
  name: ProfileName;
  description: string;
  tasks: TaskEntry[];
  /** Expert demonstrations to train on (training seeds 0…); also the mode-histogram reference. */
  demos: number;
  /** Test episodes per row (seeds 100000…). */
  episodes: number;
  /** Envs stepped in lockstep (the batch of every policy call). */
  nEnvs: number;
  trainingSeeds: number[];
  /** Evaluate the last k checkpoints of each run ("mean / best of last k", labelled as such). */
  lastK: number;
  policies: PolicyEntry[];
  /** Latency rows: DDIM with this many steps beside DDPM with all 100, at batch 1 and batch nEnvs. */
  latency: { ddimSteps: number; reps: number };
  /** Action-diversity probe: K noise seeds on one multimodal start (clustering radius per task: src/eval/diversity.ts). */
  diversity: { K: number };
}

const baselines: PolicyEntry[] = [{ kind: 'expert' }, { kind: 'random' }];

/** quick's image DP-C: optimizer steps (batch 32). */
const QUICK_IMAGE_STEPS = 1200;

/** paper's image rows (facts §3.8: batch 64, lr 1e-4, 3,000 epochs; see the task's comment). */
const PAPER_IMAGE_TRAIN = { steps: 1_340_000, batchSize: 64, microBatch: 16, lr: 1e-4, checkpointEvery: 22_300, valEvery: 22_300 };

export const PROFILES: Record<ProfileName, BenchProfile> = {
  smoke: {
    name: 'smoke',
    description: 'the whole pipeline in a few minutes, tiny networks (CI regression check)',
    tasks: [
      { env: 'PushT-v0', obsType: 'keypoints' },
      // The pixel pipeline end to end (images collected, rendered in every rollout step, encoded by a ResNet of width
      // 16): a tiny image DP-C, meaningless as a score, there so CI runs every stage of an image row.
      {
        env: 'PushT-v0',
        obsType: 'pixels_agent_pos',
        trained: { diffusion_unet: { policy: { vision: { resnetWidth: 16, cropShape: [76, 76] } }, train: { steps: 30, batchSize: 8, microBatch: 4, checkpointEvery: 30, valEvery: 15 } } },
      },
      { env: 'BlockStack-v0', obsType: 'state' },
    ],
    demos: 20,
    episodes: 10,
    nEnvs: 10,
    trainingSeeds: [0],
    lastK: 1,
    policies: [
      ...baselines,
      {
        kind: 'trained',
        policy: { id: 'diffusion_unet', unet: { downDims: [16, 32], diffusionStepEmbedDim: 16, kernelSize: 3, nGroups: 4 }, inference: { scheduler: 'ddim', steps: 8 } },
        train: { steps: 60, batchSize: 32, lr: 1e-3, warmupSteps: 10, checkpointEvery: 60, valEvery: 30, logEvery: 10 },
      },
      {
        kind: 'trained',
        policy: { id: 'diffusion_transformer', transformer: { nLayer: 1, nHead: 2, nEmb: 32 }, inference: { scheduler: 'ddim', steps: 8 } },
        train: { steps: 60, batchSize: 32, lr: 1e-3, warmupSteps: 10, checkpointEvery: 60, valEvery: 30, logEvery: 10 },
      },
      { kind: 'trained', policy: { id: 'mlp_bc', width: 64, depth: 2 }, train: { steps: 100, batchSize: 32, lr: 1e-3, warmupSteps: 10, checkpointEvery: 100, valEvery: 50, logEvery: 10 } },
    ],
    latency: { ddimSteps: 8, reps: 2 },
    diversity: { K: 16 },
  },
  quick: {
    name: 'quick',
    description: 'small networks, short training: about 2 hours on 2 CPU cores',
    tasks: [
      { env: 'PushT-v0', obsType: 'keypoints' },
      // Image DP-C on the quick U-Net with a ResNet-18 of width 16 (the original's 64 costs ~16× the FLOPs and ~95% of a
      // step at batch 64, README Training): sized by steps/s on 2 cores for ~15 minutes of training (README, Bench).
      {
        env: 'PushT-v0',
        obsType: 'pixels_agent_pos',
        trained: { diffusion_unet: { policy: { vision: { resnetWidth: 16 } }, train: { steps: QUICK_IMAGE_STEPS, batchSize: 32, microBatch: 16, lr: 1e-3, checkpointEvery: QUICK_IMAGE_STEPS / 4, valEvery: QUICK_IMAGE_STEPS / 4 } } },
      },
      { env: 'BlockStack-v0', obsType: 'state', demos: 100, stepScale: 0.5 },
    ],
    demos: 200,
    episodes: 50,
    nEnvs: 50,
    trainingSeeds: [0],
    lastK: 3,
    policies: [
      ...baselines,
      // Sized by windows per second on 2 cores (README, Bench: How quick was sized): the U-Net [32,64,128] at batch 256
      // takes ~850 windows/s where [64,128,256] at batch 64 took ~200, and on Push-T both reach the same score
      // per window seen (0.67 at 4,000 steps, 0.84 at 6,000). DP-T 4×64 runs ~510 windows/s at batch 64 and stays
      // near random (0.18–0.20) on this budget with lr 1e-4…1e-3, with or without its masks: it needs `paper`'s.
      {
        kind: 'trained',
        policy: { id: 'diffusion_unet', unet: { downDims: [32, 64, 128], diffusionStepEmbedDim: 128 }, inference: { scheduler: 'ddim', steps: 16 } },
        train: { steps: 6000, batchSize: 256, microBatch: 128, lr: 2e-3, warmupSteps: 100, checkpointEvery: 1500, valEvery: 500 },
      },
      {
        kind: 'trained',
        policy: { id: 'diffusion_transformer', transformer: { nLayer: 4, nHead: 4, nEmb: 64 }, inference: { scheduler: 'ddim', steps: 16 } },
        train: { steps: 10000, batchSize: 64, microBatch: 32, lr: 1e-3, warmupSteps: 200, checkpointEvery: 2500, valEvery: 1000 },
      },
      { kind: 'trained', policy: { id: 'mlp_bc' }, train: { steps: 2000, batchSize: 64, lr: 1e-3, warmupSteps: 100, checkpointEvery: 500, valEvery: 250 } },
    ],
    latency: { ddimSteps: 16, reps: 3 },
    diversity: { K: 32 },
  },
  paper: {
    name: 'paper',
    description: "the original's configs (DP-C [256,512,1024], DP-T 8×256, DDPM-100, 3 training seeds); a GPU advised",
    tasks: [
      { env: 'PushT-v0', obsType: 'keypoints' },
      // The original's image Push-T (facts §3.2–3.4, §3.8): the encoder at its defaults (ResNet-18 of width 64, GroupNorm,
      // 32-keypoint spatial softmax, 84×84 crops of 96×96), batch 64, lr 1e-4, 3,000 epochs; 200 demos ≈ 28.5k windows =
      // 446 steps per epoch ≈ 1.34M steps, a checkpoint every 50 epochs. Micro-batches of 16 as every image run (wasm's
      // heap); DP-C's 251 M-parameter U-Net does not fit wasm at all (README, Training): a GPU is needed.
      {
        env: 'PushT-v0',
        obsType: 'pixels_agent_pos',
        trained: {
          // DP-C: diffusion step embedding 128, down dims [512, 1024, 2048] (the image config, facts §3.2).
          diffusion_unet: { policy: { unet: { diffusionStepEmbedDim: 128, downDims: [512, 1024, 2048] } }, train: PAPER_IMAGE_TRAIN },
          // DP-T: the hybrid (image) transformer's defaults (facts §3.3): horizon 10, attention dropout 0.3, weight decay
          // 1e-3 on its Linear/attention weights (the encoder's 1e-6 is vision.weightDecay's default); warm-up 1000 as
          // every DP-T. Table 8's Push-T row differs (Tp 16, dropout 0.01, weight decay 0.1: the keypoint row's recipe).
          diffusion_transformer: { policy: { predictionHorizon: 10, weightDecay: 1e-3, transformer: { pDropAttn: 0.3 } }, train: PAPER_IMAGE_TRAIN },
        },
      },
      { env: 'BlockStack-v0', obsType: 'state' },
    ],
    demos: 200,
    episodes: 50,
    nEnvs: 50,
    trainingSeeds: [0, 1, 2],
    lastK: 10,
    policies: [
      ...baselines,
      // Facts §3.3/§3.8: batch 256, lr 1e-4; 200 demos ≈ 28.5k windows = 112 steps per epoch, so the
      // CNN's 4,500 epochs ≈ 500k steps and the transformer's 8,000 ≈ 900k (checkpoints every ~50 epochs).
      { kind: 'trained', policy: { id: 'diffusion_unet' }, train: { steps: 500_000, batchSize: 256, lr: 1e-4, checkpointEvery: 5_600, valEvery: 5_600, microBatch: 64 } },
      { kind: 'trained', policy: { id: 'diffusion_transformer' }, train: { steps: 900_000, batchSize: 256, lr: 1e-4, checkpointEvery: 5_600, valEvery: 5_600, microBatch: 64 } },
      { kind: 'trained', policy: { id: 'mlp_bc' }, train: { steps: 500_000, batchSize: 256, lr: 1e-4, checkpointEvery: 5_600, valEvery: 5_600 } },
    ],
    latency: { ddimSteps: 16, reps: 5 },
    diversity: { K: 64 },
  },
};

export function profile(name: string): BenchProfile {
  const p = (PROFILES as Record<string, BenchProfile>)[name];
  if (!p) throw new Error(`bench profile ${JSON.stringify(name)}: expected one of ${PROFILE_NAMES.join(', ')}`);
  return p;
}
