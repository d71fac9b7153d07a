/**
 * The training loop (diffusion_policy's workspace, LeRobot's train script): AdamW with cosine LR and
 * warm-up stepped per batch, EMA weights for evaluation, validation loss, a JSON-lines log, atomic
 * checkpoints and exact resume. Every step is a pure function of (weights, optimizer state, seed, step):
 * the batch order and all diffusion noise derive from (seed, step), so a run killed at step k and resumed
 * ends with the same weights as an uninterrupted one.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import * as tf from '../../policies/nn/tf.ts';
import { mixSeed } from '../../envs/core/seeding.ts';
import { EMA } from '../../policies/diffusion/ema.ts';
import type { TrainablePolicy } from '../../policies/core/trainable.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { AdamW } from './adamw.ts';
import { WindowBatches } from './batches.ts';
import { loadCheckpoint, resolveCheckpoint, saveCheckpoint, type TrainerState } from './checkpoint.ts';
import { cosineWithWarmup } from './lr-schedule.ts';
import { partCount } from './grads.ts';
import { GradientPool, resolveWorkers } from './data-parallel.ts';
import type { NamedArrays } from './safetensors.ts';

export const TrainConfig = z
  .object({
    /** Optimizer steps in all. */
    steps: z.number().int().positive(),
    /** Windows per batch (the paper: 256 for state policies, 64 for image policies). */
    batchSize: z.number().int().positive().default(256),
    /**
     * Split each batch into micro-batches of this size for the forward/backward pass and average their
     * gradients (0: whole batches). Bounds memory; the step is the same up to float summation order.
     */
    microBatch: z.number().int().nonnegative().default(0),
    /**
     * Threads computing gradients, this one included (data-parallel.ts); they share out the micro-batches,
     * so more than one needs microBatch ≤ batchSize/2. Absent: one per core, at most 2, on the wasm and
     * cpu backends. The weights do not depend on it (bit for bit), so it is not part of the run's identity.
     */
    workers: z.number().int().positive().optional(),
    /** Peak learning rate (the paper: 1e-4). */
    lr: z.number().positive().default(1e-4),
    /** Linear warm-up steps (the paper: 500 for the CNN, 1000 for the transformer). */
    warmupSteps: z.number().int().nonnegative().default(500),
    /** AdamW betas (CNN: 0.95, 0.999; transformer: 0.9, 0.95). */
    betas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0.95, 0.999]),
    eps: z.number().positive().default(1e-8),
    /** EMA of the weights, diffusion_policy's schedule; evaluation uses the EMA weights. */
    ema: z.object({ power: z.number().positive().default(0.75), maxValue: z.number().min(0).max(1).default(0.9999) }).strict().default({ power: 0.75, maxValue: 0.9999 }),
    /** Save a checkpoint every this many steps (and at the end). */
    checkpointEvery: z.number().int().positive().default(1000),
    /** Validation loss every this many steps (0: never). */
    valEvery: z.number().int().nonnegative().default(500),
    /** Validation batches per evaluation (fixed windows and noise, so values compare across steps). */
    valBatches: z.number().int().positive().default(4),
    /** One train_log.jsonl line every this many steps. */
    logEvery: z.number().int().positive().default(50),
    /** Training seed: weights, batch order, noise. */
    seed: z.number().int().nonnegative().default(0),
  })
  .strict();
export type TrainConfig = z.output<typeof TrainConfig>;

export interface StepInfo {
  step: number;
  loss: number;
  lr: number;
  stepsPerSecond: number;
  valLoss?: number;
}

export interface TrainArgs {
  policy: TrainablePolicy;
  train: WindowBatches;
  val?: WindowBatches;
  cfg: TrainConfig;
  runDir: string;
  /** Hash of the whole run config; a checkpoint with another hash is refused on resume. */
  cfgHash: string;
  /** Continue from checkpoints/last when present. */
  resume: boolean;
  onLog?: (info: StepInfo) => void;
  /** Stop (cleanly, after a checkpoint) when this returns true; for tests of resume. */
  stopAt?: number;
}

export interface TrainResult {
  step: number;
  /** Gradient threads used. */
  workers: number;
  finalLoss: number;
  checkpoint: string;
  resumedFrom: number | null;
}

const toArrays = (vars: Map<string, tf.Variable>): NamedArrays =>
  new Map([...vars].map(([n, v]) => [n, { data: v.dataSync() as Float32Array, shape: [...v.shape] }]));

function loadInto(vars: Map<string, tf.Variable>, arrays: NamedArrays, what: string): void {
  for (const [name, v] of vars) {
    const a = arrays.get(name);
    if (!a) throw new Error(`${what}: the checkpoint has no tensor ${name}`);
    if (a.shape.join(',') !== v.shape.join(',')) throw new Error(`${what}: ${name} has shape [${a.shape}] in the checkpoint, [${v.shape}] in the model`);
    tf.tidy(() => v.assign(tf.tensor(a.data, v.shape, 'float32')));
  }
  if (arrays.size !== vars.size) throw new Error(`${what}: the checkpoint has ${arrays.size} tensors, the model ${vars.size}`);
}

export async function train(a: TrainArgs): Promise<TrainResult> {
  const { policy, cfg } = a;
  const vars = policy.namedVariables();
  const workers = resolveWorkers(cfg.workers, tf.getBackend(), partCount(Math.min(cfg.batchSize, a.train.length), cfg.microBatch), policy.toJSON());
  const optimizer = new AdamW(vars, (n) => policy.weightDecay(n), { betas: cfg.betas, eps: cfg.eps }, { shared: workers > 1 });
  const ema = new EMA(vars, { power: cfg.ema.power, maxValue: cfg.ema.maxValue });
  const logFile = path.join(a.runDir, 'train_log.jsonl');
  let start = 0;
  let resumedFrom: number | null = null;
  let lastCheckpoint = '';
  let pool: GradientPool | null = null;
  try {
    if (a.resume && existsSync(path.join(a.runDir, 'checkpoints', 'last'))) {
      const dir = resolveCheckpoint(a.runDir);
      const c = loadCheckpoint(dir);
      if (c.state.cfgHash !== a.cfgHash) {
        throw new Error(`cannot resume from ${dir}: it was trained with config ${c.state.cfgHash}, this run is ${a.cfgHash}`);
      }
      loadInto(vars, c.model, `resume ${dir}`);
      optimizer.loadStateArrays(c.optimizer, c.state.optimizerStep);
      if (c.ema) ema.loadState({ step: c.state.optimizerStep, shadows: c.ema });
      start = c.state.step;
      resumedFrom = start;
      lastCheckpoint = dir;
      // The log keeps exactly the lines an uninterrupted run would have written up to this step.
      if (existsSync(logFile)) {
        const kept = readFileSync(logFile, 'utf8').split('\n').filter((l) => l && (JSON.parse(l) as { step: number }).step <= start);
        writeFileAtomic(logFile, kept.map((l) => `${l}\n`).join(''));
      }
    } else if (existsSync(logFile)) {
      writeFileAtomic(logFile, '');
    }

    pool = await GradientPool.create(policy, { workers, microBatch: cfg.microBatch, optimizer });
    const end = Math.min(cfg.steps, a.stopAt ?? cfg.steps);
    let lossSum = 0;
    let lossCount = 0;
    let lastLoss = NaN;
    let t0 = performance.now();
    let stepsSinceLog = 0;
    policy.setTraining(true);
    for (let step = start; step < end; step++) {
      const batch = a.train.batch(step, cfg.batchSize, cfg.seed);
      const lr = cosineWithWarmup(step, cfg.lr, cfg.warmupSteps, cfg.steps);
      const loss = await pool.step(batch, mixSeed(cfg.seed, step), lr);
      ema.update();
      if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${step}: loss ${loss}`);
      lossSum += loss;
      lossCount++;
      stepsSinceLog++;
      const done = step + 1;
      if (done % cfg.logEvery === 0 || done === end) {
        const now = performance.now();
        const info: StepInfo = { step: done, loss: lossSum / lossCount, lr, stepsPerSecond: (1000 * stepsSinceLog) / (now - t0) };
        if (a.val && cfg.valEvery > 0 && (done % cfg.valEvery === 0 || done === cfg.steps)) {
          policy.setTraining(false);
          info.valLoss = validationLoss(policy, a.val, cfg);
          policy.setTraining(true);
        }
        appendFileSync(logFile, `${JSON.stringify({ ...info, emaDecay: ema.decay() })}\n`);
        a.onLog?.(info);
        lastLoss = info.loss;
        lossSum = 0;
        lossCount = 0;
        stepsSinceLog = 0;
        t0 = performance.now();
      }
      if (done % cfg.checkpointEvery === 0 || done === end) {
        const state: TrainerState = { step: done, optimizerStep: optimizer.t, seed: cfg.seed, cfgHash: a.cfgHash, policy: policy.toJSON(), loss: lastLoss };
        lastCheckpoint = saveCheckpoint(a.runDir, { model: toArrays(vars), ema: ema.state().shadows, optimizer: optimizer.stateArrays(), state });
      }
    }
    policy.setTraining(false);
    return { step: end, workers: pool.workers, finalLoss: lastLoss, checkpoint: lastCheckpoint, resumedFrom };
  } finally {
    await pool?.dispose();
    optimizer.dispose();
    ema.dispose();
  }
}

/** Mean loss over fixed validation windows and fixed noise seeds. */
export function validationLoss(policy: TrainablePolicy, val: WindowBatches, cfg: Pick<TrainConfig, 'batchSize' | 'valBatches' | 'seed'>): number {
  const n = val.length;
  const B = Math.min(cfg.batchSize, n);
  let sum = 0;
  let count = 0;
  for (let k = 0; k < cfg.valBatches && k * B < n; k++) {
    const idx = Array.from({ length: Math.min(B, n - k * B) }, (_, i) => k * B + i);
    const loss = tf.tidy(() => policy.loss(val.gather(idx), mixSeed(cfg.seed ^ 0x7a11, k)));
    sum += loss.dataSync()[0] * idx.length;
    count += idx.length;
    loss.dispose();
  }
  return sum / count;
}

/** Loads a checkpoint's weights (EMA ones when present and `useEma`) into a policy. */
export function loadWeights(policy: TrainablePolicy, dir: string, useEma = true): TrainerState {
  const c = loadCheckpoint(dir);
  loadInto(policy.namedVariables(), useEma && c.ema ? c.ema : c.model, `load ${dir}`);
  return c.state;
}
