/**
 * Bench profiles: which tasks, policies, training seeds and evaluation budget one `npm run bench` covers.
 *
 *   smoke  the whole pipeline (collect → train → evaluate → report) in a few minutes: CI's regression check
 *   quick  the default: meaningful numbers in ≤ 30 minutes on 2 CPU cores (small networks, short training)
 *   paper  the original's configs (facts §3): DP-C [256,512,1024], DP-T 8×256, DDPM-100, 3 training seeds;
 *          days on a CPU, a GPU advised
 *
 * A trained row is one (task, policy) over `trainingSeeds`; each seed's run lives in its own
 * results/runs/<env>__<policy>__s<seed>__<cfgHash>/, so a bench killed mid-way resumes where it stopped
 * (finished runs and evaluations are reused when their config hash matches).
 */

export type ProfileName = 'smoke' | 'quick' | 'paper';
export const PROFILE_NAMES: readonly ProfileName[] = ['smoke', 'quick', 'paper'];

export interface TaskEntry {
  env: string;
  obsType: 'state' | 'keypoints';
  /** Demonstrations for this task (default: the profile's). */
  demos?: number;
  /** Scales every trained entry's steps (and checkpoint/validation intervals) for this task (default 1). */
  stepScale?: number;
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

export const PROFILES: Record<ProfileName, BenchProfile> = {
  smoke: {
    name: 'smoke',
    description: 'the whole pipeline in a few minutes, tiny networks (CI regression check)',
    tasks: [{ env: 'PushT-v0', obsType: 'keypoints' }, { env: 'BlockStack-v0', obsType: 'state' }],
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
    description: 'small networks, short training: meaningful numbers in about 30 minutes on 2 CPU cores',
    tasks: [{ env: 'PushT-v0', obsType: 'keypoints' }, { env: 'BlockStack-v0', obsType: 'state', demos: 100, stepScale: 0.5 }],
    demos: 200,
    episodes: 50,
    nEnvs: 50,
    trainingSeeds: [0],
    lastK: 3,
    policies: [
      ...baselines,
      {
        kind: 'trained',
        policy: { id: 'diffusion_unet', unet: { downDims: [64, 128, 256] }, inference: { scheduler: 'ddim', steps: 16 } },
        train: { steps: 1200, batchSize: 64, microBatch: 32, lr: 1e-3, warmupSteps: 100, checkpointEvery: 400, valEvery: 200 },
      },
      {
        kind: 'trained',
        policy: { id: 'diffusion_transformer', transformer: { nLayer: 4, nHead: 4, nEmb: 128 }, inference: { scheduler: 'ddim', steps: 16 } },
        train: { steps: 1200, batchSize: 64, microBatch: 32, lr: 1e-3, warmupSteps: 100, checkpointEvery: 400, valEvery: 200 },
      },
      { kind: 'trained', policy: { id: 'mlp_bc' }, train: { steps: 2000, batchSize: 64, lr: 1e-3, warmupSteps: 100, checkpointEvery: 500, valEvery: 250 } },
    ],
    latency: { ddimSteps: 16, reps: 3 },
    diversity: { K: 32 },
  },
  paper: {
    name: 'paper',
    description: "the original's configs (DP-C [256,512,1024], DP-T 8×256, DDPM-100, 3 training seeds); a GPU advised",
    tasks: [{ env: 'PushT-v0', obsType: 'keypoints' }, { env: 'BlockStack-v0', obsType: 'state' }],
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
