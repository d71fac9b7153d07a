/**
 * Diffusion Policy speed, ours against the PyTorch anchors run on the same machine in the same
 * `npm run perf` (../shared/anchors: the same architectures, AdamW + MSE on the noise, float32, 2 threads).
 * A train step here is the whole of ours: batch normalization, noise and step sampling, forward,
 * backward, AdamW (EMA excluded, as in the anchors), with the trainer's gradient threads (data-parallel.ts:
 * one per core, at most 2, sharing the micro-batches; the anchors use 2 threads too); the same step in
 * one thread is reported beside it, and where the threaded step's time went (phasesMs: this thread's
 * gradients and its wait for the worker's, the worker's own, the shared optimizer update and its wait,
 * publishing the parameters). The denoiser call is one εθ at batch 1.
 *
 * Image cases (the original's image DP-C: ResNet-18 encoder on 84×84 crops of 96×96 images, 2 per window)
 * run only with `npm run perf -- --vision` (minutes per step at the paper's size); they have no anchor.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tf from '../../policies/nn/tf.ts';
import { LinearNormalizer } from '../../policies/core/normalizer.ts';
import { DiffusionPolicy, type DiffusionPolicyConfig } from '../../policies/diffusion/policy.ts';
import { AdamW } from '../train/adamw.ts';
import { GradientPool, resolveWorkers } from '../train/data-parallel.ts';
import { partCount } from '../train/grads.ts';
import { ROOT } from '../util/env-info.ts';
import type { Measurement } from './perf.ts';

interface Case {
  name: string;
  policy: Partial<DiffusionPolicyConfig> & { id: DiffusionPolicyConfig['id'] };
  obsDim: number;
  batch: number;
  /** The anchor's call for the same model and batch, `script:run(...)` (image cases have none). */
  anchor?: string;
  /** Figure the issue quotes for the anchor, for when torch is not installed. */
  quotedMs?: { train: number; denoise?: number };
  /** Camera image [H, W, C] of an image policy: the batch then carries To pseudo-random uint8 images per window. */
  image?: [number, number, number];
  repeats: number;
  /**
   * Micro-batch for the forward/backward (0: whole batch): the parts the gradient threads share. The
   * fastest measured with 2 threads: DP-T's activations (16 MB per window) outgrow the caches, so 8
   * parts of 32 beat 4 of 64 at batch 256 (5.6 s against 7.4 s); the U-Nets do best with 2 parts.
   */
  micro: number;
}

interface AnchorLine {
  model?: string;
  dims?: number[];
  batch: number;
  train_step_ms: number;
  denoise_call_b1_ms: number;
  params: number;
}

const small = { diffusionStepEmbedDim: 128, downDims: [64, 128, 256] };
const paper = { diffusionStepEmbedDim: 256, downDims: [256, 512, 1024] };
/** The original's image Push-T U-Net (facts §3.2 table: 251.5 M parameters with its 132-wide condition). */
const paperImage = { diffusionStepEmbedDim: 128, downDims: [512, 1024, 2048] };
const PUSHT_IMAGE: [number, number, number] = [96, 96, 3];
const CASES: Case[] = [
  { name: 'dpc.small.b64', policy: { id: 'diffusion_unet', unet: small } as never, obsDim: 5, batch: 64, anchor: 'torch_unet1d_bench:run((64, 128, 256), 128, 64)', quotedMs: { train: 473, denoise: 21 }, repeats: 5, micro: 32 },
  { name: 'dpc.small.b256', policy: { id: 'diffusion_unet', unet: small } as never, obsDim: 5, batch: 256, anchor: 'torch_unet1d_bench:run((64, 128, 256), 128, 256)', quotedMs: { train: 2781, denoise: 21 }, repeats: 3, micro: 128 },
  { name: 'dpc.paper.b64', policy: { id: 'diffusion_unet', unet: paper } as never, obsDim: 5, batch: 64, anchor: 'torch_unet1d_bench:run((256, 512, 1024), 256, 64, steps=3)', quotedMs: { train: 4777, denoise: 456 }, repeats: 3, micro: 32 },
  { name: 'dpt.b64', policy: { id: 'diffusion_transformer' }, obsDim: 20, batch: 64, anchor: 'torch_transformer_bench:run(64)', quotedMs: { train: 1493, denoise: 55 }, repeats: 3, micro: 32 },
  { name: 'dpt.b256', policy: { id: 'diffusion_transformer' }, obsDim: 20, batch: 256, anchor: 'torch_transformer_bench:run(256)', quotedMs: { train: 3745, denoise: 64 }, repeats: 3, micro: 32 },
  // Micro-batches of 16 windows = 32 images: the encoder's activations and their gradients take ~1 GB of the heap per 32.
  { name: 'dpc.image.small.b64', policy: { id: 'diffusion_unet', unet: small, vision: {} } as never, obsDim: 2, image: PUSHT_IMAGE, batch: 64, repeats: 2, micro: 16 },
  // The original's size does not train on wasm: one forward + backward of its 251.5 M-parameter U-Net alone
  // (1 GB of weights, 1 GB of gradients, XNNPACK's packed copies) runs out of the 4 GB heap even at batch 1
  // (XNNPACK status 6, out of memory); it reports `failed` there and is for the GPU backends.
  { name: 'dpc.image.paper.b64', policy: { id: 'diffusion_unet', unet: paperImage, vision: {} } as never, obsDim: 2, image: PUSHT_IMAGE, batch: 64, repeats: 1, micro: 8 },
];

export function torchAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** Makes sure Debian's python3-torch is there (installing it when `install`); false without it. */
export function prepareTorch(install: boolean): boolean {
  if (!torchAvailable() && install) {
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'python3-torch'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  return torchAvailable();
}

/** One anchor configuration (`script:call`, the script's own `run`), timed now. */
export function torchAnchor(anchor: string): AnchorLine {
  const [module, call] = anchor.split(':');
  const dir = path.resolve(ROOT, '..', 'shared', 'anchors');
  if (!existsSync(path.join(dir, `${module}.py`))) throw new Error(`perf: anchor ${path.join(dir, `${module}.py`)} not found (the shared/ folder beside the checkout)`);
  const code = `import sys; sys.path.insert(0, ${JSON.stringify(dir)}); from ${module} import run; ${call}`;
  const outText = execFileSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = outText.split('\n').find((l) => l.trim().startsWith('{'));
  if (!line) throw new Error(`perf: anchor ${anchor} printed no result`);
  return JSON.parse(line) as AnchorLine;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Each case runs in its own process: a fresh wasm heap (the 65M-parameter U-Net with AdamW needs ~1.5 GB
 * of the 4 GB wasm32 heap, and the heap never shrinks after the cases before it). With `torch`, the
 * case's anchor runs right before and right after it and the two are averaged: the machine's load drifts
 * (other jobs share its 2 cores), and PyTorch's two threads and ours see the same share of it.
 */
export async function diffusionBenchmarks(torch: boolean, backend: string, requestedWorkers?: number): Promise<Array<{ name: string; measurement: Measurement }>> {
  const out: Array<{ name: string; measurement: Measurement }> = [];
  for (const c of CASES) {
    if (c.image && !process.argv.includes('--vision')) continue;
    const before = torch && c.anchor ? torchAnchor(c.anchor) : null;
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'bench', 'perf-dp-case.ts'), c.name, backend, ...(requestedWorkers ? [String(requestedWorkers)] : [])], { encoding: 'utf8', maxBuffer: 1 << 24, cwd: ROOT });
    const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
    if (r.status !== 0 || !line) {
      console.log(`${c.name}: failed (exit ${r.status}): ${(r.stderr || '').split('\n').filter((l) => /Error|Abort/.test(l)).slice(0, 2).join(' ').slice(0, 300)}`);
      continue;
    }
    const { train, workers, phases, train1, den, params } = JSON.parse(line) as CaseTiming;
    const phasesMs = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Math.round(v)]));
    if (!c.anchor || !c.quotedMs) {
      const m: Measurement = {
        value: Math.round(train),
        unit: 'ms per train step',
        repeats: c.repeats,
        note: `${c.policy.id} image policy ${JSON.stringify(c.policy.unet)}, ResNet-18 encoder (GroupNorm, spatial softmax) on ${c.image!.join('×')} images cropped to 84×84, batch ${c.batch} × To 2 images (micro-batches of ${c.micro}), ${workers} gradient thread${workers > 1 ? 's' : ''}; ${params.toLocaleString('en-US')} parameters; no PyTorch anchor`,
        workers,
        microBatch: c.micro,
          singleThreadTrainStepMs: Math.round(train1),
        denoiseCallB1Ms: Math.round(den * 10) / 10,
        parameters: params,
      };
      console.log(`${c.name}: train step ${m.value} ms with ${workers} threads, ${m.singleThreadTrainStepMs} ms in one; denoiser b1 ${m.denoiseCallB1Ms} ms; ${params.toLocaleString('en-US')} parameters`);
      out.push({ name: c.name, measurement: m });
      continue;
    }
    const after = before ? torchAnchor(c.anchor) : null;
    const a = before && after ? { ...before, train_step_ms: (before.train_step_ms + after.train_step_ms) / 2, denoise_call_b1_ms: (before.denoise_call_b1_ms + after.denoise_call_b1_ms) / 2 } : null;
    const torchTrain = a ? Math.round(a.train_step_ms) : null;
    const torchDen = a ? Math.round(a.denoise_call_b1_ms * 10) / 10 : null;
    const m: Measurement = {
      value: Math.round(train),
      unit: 'ms per train step',
      repeats: c.repeats,
      target: { max: torchTrain ?? c.quotedMs.train },
      meetsTarget: train <= (torchTrain ?? c.quotedMs.train),
      note: `${c.policy.id} ${JSON.stringify(c.policy.unet ?? 'transformer 8x256')}, batch ${c.batch} (micro-batches of ${c.micro}), ${workers} gradient thread${workers > 1 ? 's' : ''}, obs ${c.obsDim} x To 2, horizon 16; ${params.toLocaleString('en-US')} parameters`,
      workers,
      microBatch: c.micro,
      phasesMs,
      singleThreadTrainStepMs: Math.round(train1),
      ratioTrainSingleThread: Math.round((train1 / (torchTrain ?? c.quotedMs.train)) * 100) / 100,
      denoiseCallB1Ms: Math.round(den * 10) / 10,
      torch: a ? { trainStepMs: torchTrain, denoiseCallB1Ms: torchDen, params: a.params, measuredSideBySide: true, trainStepMsBeforeAfter: [before!.train_step_ms, after!.train_step_ms] } : { trainStepMs: c.quotedMs.train, denoiseCallB1Ms: c.quotedMs.denoise ?? null, measuredSideBySide: false, note: 'python3-torch not installed: the issue-quoted figures from a machine of this kind (run `npm run perf -- --torch`)' },
      ratioTrain: Math.round((train / (torchTrain ?? c.quotedMs.train)) * 100) / 100,
      ratioDenoise: Math.round((den / (torchDen ?? c.quotedMs.denoise ?? NaN)) * 100) / 100,
      parameters: params,
    };
    console.log(`${c.name}: train step ${m.value} ms with ${workers} threads, ${m.singleThreadTrainStepMs} ms in one (torch ${torchTrain ?? `${c.quotedMs.train} quoted`} → ratio ${m.ratioTrain}, ${m.ratioTrainSingleThread} in one thread); denoiser b1 ${m.denoiseCallB1Ms} ms (torch ${torchDen ?? `${c.quotedMs.denoise} quoted`} → ratio ${m.ratioDenoise})`);
    out.push({ name: c.name, measurement: m });
  }
  return out;
}

export interface CaseTiming {
  /** Median ms per train step with `workers` gradient threads. */
  train: number;
  workers: number;
  /** Medians of where a step with `workers` threads went (GradientPool.lastStep), ms. */
  phases: { gradients: number; waitGradients: number; workerGradients: number; update: number; waitUpdate: number; publish: number };
  /** Median ms per train step in one thread (the same step, bit for bit). */
  train1: number;
  den: number;
  params: number;
}

/**
 * Times one case in this process: median train step with the trainer's gradient threads and in one thread
 * (repeats interleaved, so a change in the machine's load hits both alike), and the denoiser at batch 1.
 */
export async function timeCase(name: string, requestedWorkers?: number): Promise<CaseTiming> {
  const c = CASES.find((x) => x.name === name);
  if (!c) throw new Error(`perf: unknown case ${name}; known: ${CASES.map((x) => x.name).join(', ')}`);
  const Tp = 16;
  const Da = 2;
  const To = 2;
  const norm = (d: number) => LinearNormalizer.fromLimits(new Array(d).fill(0), new Array(d).fill(512));
  const policy = new DiffusionPolicy({ ...c.policy, obsDim: c.obsDim, actionDim: Da, ...(c.image ? { imageShape: c.image } : {}) }, { obs: norm(c.obsDim), action: norm(Da) });
  const vars = policy.namedVariables();
  const images = c.image ? Uint8Array.from({ length: c.batch * To * c.image[0] * c.image[1] * c.image[2] }, (_, i) => (i * 2654435761) >>> 24) : undefined;
  const batch = { batchSize: c.batch, obs: Float32Array.from({ length: c.batch * To * c.obsDim }, (_, i) => (i * 37) % 512), action: Float32Array.from({ length: c.batch * Tp * Da }, (_, i) => (i * 53) % 512), ...(images ? { images } : {}) };
  policy.setTraining(true);
  const workers = resolveWorkers(requestedWorkers, tf.getBackend(), partCount(c.batch, c.micro), policy.toJSON());
  const adamw = (shared: boolean) => new AdamW(vars, (n) => policy.weightDecay(n), { betas: [0.95, 0.999], eps: 1e-8 }, { shared });
  const pools = [await GradientPool.create(policy, { workers, microBatch: c.micro, optimizer: adamw(workers > 1) })];
  if (workers > 1) pools.push(await GradientPool.create(policy, { workers: 1, microBatch: c.micro, optimizer: adamw(false) }));
  try {
    const trainStep = async (pool: GradientPool, seed: number) => {
      const t0 = performance.now();
      await pool.step(batch, seed, 1e-4);
      const t1 = performance.now();
      // The pools share the policy's variables; keep the other one's copy current.
      for (const other of pools) if (other !== pool) other.pullParams();
      const l = pool.lastStep;
      return [t1 - t0, l.gradients, l.waitGradients, l.workerGradients[0] ?? 0, l.update, l.waitUpdate, l.publish];
    };
    for (const pool of pools) for (let i = 0; i < 2; i++) await trainStep(pool, i);
    const runs: number[][][] = pools.map(() => []);
    for (let i = 0; i < c.repeats; i++) for (let k = 0; k < pools.length; k++) runs[k].push(await trainStep(pools[k], i + 2));
    const med = (k: number, j: number) => median(runs[k].map((r) => r[j]));
    policy.setTraining(false);
    const denoise = () =>
      tf.tidy(() => {
        const t0 = performance.now();
        const x = tf.zeros([1, Tp, Da]) as tf.Tensor3D;
        const o = tf.zeros([1, To, policy.obsFeatureDim]) as tf.Tensor3D;
        const y = policy.denoise(x, tf.tensor1d([50]), o);
        y.dataSync();
        return performance.now() - t0;
      });
    for (let i = 0; i < 3; i++) denoise();
    const den = median(Array.from({ length: 15 }, denoise));
    return {
      train: med(0, 0),
      workers,
      phases: { gradients: med(0, 1), waitGradients: med(0, 2), workerGradients: med(0, 3), update: med(0, 4), waitUpdate: med(0, 5), publish: med(0, 6) },
      train1: med(pools.length - 1, 0),
      den,
      params: policy.parameterCount(),
    };
  } finally {
    for (const pool of pools) await pool.dispose();
    policy.dispose();
  }
}
