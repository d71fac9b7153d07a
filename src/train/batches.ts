/**
 * Training batches from a replay buffer: windows of Tp steps (SequenceSampler, padded To−1 before and
 * Ta−1 after each episode), the observation part built from the buffer's arrays for the policy's obs
 * type (and, for image obs types, the camera images of the first To steps), drawn in a seeded random order. The order of epoch e is a permutation seeded by (seed, e), so
 * the batch of any step is a pure function of (seed, step): resuming needs no RNG state beyond them.
 */
import { mixSeed } from '../../envs/core/seeding.ts';
import { makeEnv } from '../../envs/index.ts';
import { ReplayBuffer } from '../data/replay-buffer.ts';
import { SequenceSampler } from '../data/sequence-sampler.ts';
import type { TrainBatch } from '../../policies/core/trainable.ts';

type LayoutPart = { key: string; from: number; to: number | null };

/**
 * How a flat observation of task `env` is assembled from the buffer's per-step arrays: `key[from:to]`,
 * with `to: null` for the whole per-step vector (a task's `state` observation is what its env returns: 5
 * numbers for PushT-v0, 26 for BlockStack-v0).
 */
export const OBS_LAYOUTS: Record<string, (env: string) => LayoutPart[]> = {
  // The env's `state` observation, whole (PushT-v0: agent xy, block xy, angle).
  state: () => [{ key: 'state', from: 0, to: null }],
  // PushT-v0 `keypoints`: the T's 8 corners (16), then the agent position (state[0:2]).
  keypoints: () => [
    { key: 'keypoint', from: 0, to: 16 },
    { key: 'state', from: 0, to: 2 },
  ],
  // The env's `agent_pos` beside its image (OBS_IMAGES), which every task records as the first numbers of
  // its state: PushT-v0 state[0:2] (the original's `pusht_image`), BlockStack-v0 state[0:5] (EE pose, width).
  pixels_agent_pos: (env) => [{ key: 'state', from: 0, to: agentPosDim(env) }],
};

const agentPosDims = new Map<string, number>();
/** Length of task `env`'s `agent_pos`, from its spec (the env refuses the obs type if it has no camera). */
function agentPosDim(env: string): number {
  let n = agentPosDims.get(env);
  if (n === undefined) {
    const probe = makeEnv(env, { obsType: 'pixels_agent_pos' });
    n = probe.spec.observationSpace.size;
    probe.close();
    agentPosDims.set(env, n);
  }
  return n;
}

/** An obs type's layout for task `env` with every range made concrete against a buffer's arrays. */
export function resolveLayout(obsType: string, buffer: ReplayBuffer, env: string): Array<{ key: string; from: number; to: number; stepSize: number }> {
  const layoutOf = OBS_LAYOUTS[obsType];
  if (!layoutOf) throw new Error(`unknown obs type ${JSON.stringify(obsType)}; known: ${Object.keys(OBS_LAYOUTS).join(', ')}`);
  return layoutOf(env).map((p) => {
    if (!buffer.keys().includes(p.key)) throw new Error(`obs type ${obsType} needs '${p.key}' but the dataset has only [${buffer.keys().join(', ')}]`);
    const stepSize = buffer.get(p.key).stepSize;
    const to = p.to ?? stepSize;
    if (to > stepSize) throw new Error(`obs type ${obsType} needs ${p.key}[${p.from}:${to}] but the dataset's ${p.key} has ${stepSize} values per step`);
    return { key: p.key, from: p.from, to, stepSize };
  });
}

/** Obs types with a camera: the buffer key of its uint8 H × W × C image per step (the original's `data/img`). */
export const OBS_IMAGES: Record<string, string> = { pixels_agent_pos: 'img' };

/** Length of one flat observation of `obsType` of task `env` from this buffer's arrays. */
export function obsDimOf(obsType: string, buffer: ReplayBuffer, env: string): number {
  return resolveLayout(obsType, buffer, env).reduce((n, p) => n + p.to - p.from, 0);
}

export interface WindowOptions {
  /** The task the buffer's demonstrations come from (env id): obs layouts are per task. */
  env: string;
  obsType: string;
  obsHorizon: number;
  predictionHorizon: number;
  actionHorizon: number;
  episodeMask?: ArrayLike<boolean>;
}

export class WindowBatches {
  readonly sampler: SequenceSampler;
  readonly obsDim: number;
  readonly actionDim: number;
  private readonly layout: Array<{ key: string; from: number; to: number; stepSize: number; scratch: Float32Array }>;
  private readonly actionScratch: Float32Array;
  /** One stored image [H, W, C] for image obs types, else null. */
  readonly imageShape: [number, number, number] | null = null;
  private readonly images: Uint8Array | null = null;
  private permutation: Int32Array | null = null;
  /** (seed, epoch) of the cached permutation. */
  private permutationKey = '';

  constructor(buffer: ReplayBuffer, private readonly o: WindowOptions) {
    const layout = resolveLayout(o.obsType, buffer, o.env);
    this.obsDim = obsDimOf(o.obsType, buffer, o.env);
    const keys = [...new Set([...layout.map((p) => p.key), 'action'])];
    this.sampler = new SequenceSampler(buffer, {
      horizon: o.predictionHorizon,
      padBefore: o.obsHorizon - 1,
      padAfter: o.actionHorizon - 1,
      episodeMask: o.episodeMask,
      keys,
    });
    if (this.sampler.length === 0) throw new Error('WindowBatches: no training windows (empty dataset or mask)');
    this.layout = layout.map((p) => ({ ...p, scratch: new Float32Array(o.predictionHorizon * p.stepSize) }));
    this.actionDim = buffer.get('action').stepSize;
    this.actionScratch = new Float32Array(o.predictionHorizon * this.actionDim);
    const imageKey = OBS_IMAGES[o.obsType];
    if (imageKey) {
      if (!buffer.keys().includes(imageKey)) throw new Error(`obs type ${o.obsType} needs camera images ('${imageKey}') but the dataset has only [${buffer.keys().join(', ')}]; collect it with images`);
      const { data, perStep } = buffer.get(imageKey);
      if (!(data instanceof Uint8Array) || perStep.length !== 3) throw new Error(`obs type ${o.obsType}: the dataset's '${imageKey}' must be uint8 images [H, W, C] per step, got ${data.constructor.name} [${perStep.join(', ')}]`);
      this.imageShape = [perStep[0], perStep[1], perStep[2]];
      this.images = data;
    }
  }

  get length(): number {
    return this.sampler.length;
  }

  /** Windows `indices` as one batch. */
  gather(indices: ArrayLike<number>): TrainBatch {
    const { obsHorizon: To, predictionHorizon: Tp } = this.o;
    const B = indices.length;
    const obs = new Float32Array(B * To * this.obsDim);
    const action = new Float32Array(B * Tp * this.actionDim);
    const frame = this.imageShape ? this.imageShape[0] * this.imageShape[1] * this.imageShape[2] : 0;
    const images = this.images ? new Uint8Array(B * To * frame) : undefined;
    for (let b = 0; b < B; b++) {
      const w = indices[b];
      for (const p of this.layout) this.sampler.sampleInto(w, p.key, p.scratch);
      for (let t = 0; t < To; t++) {
        let o = (b * To + t) * this.obsDim;
        for (const p of this.layout) for (let d = p.from; d < p.to; d++) obs[o++] = p.scratch[t * p.stepSize + d];
      }
      action.set(this.sampler.sampleInto(w, 'action', this.actionScratch), b * Tp * this.actionDim);
      // Only the first To frames are observed: copy those images whole, not the window's Tp.
      for (let t = 0; images && t < To; t++) {
        const f = this.sampler.frame(w, t);
        images.set(this.images!.subarray(f * frame, (f + 1) * frame), (b * To + t) * frame);
      }
    }
    return { batchSize: B, obs, action, ...(images ? { images } : {}) };
  }

  /** The batch of training step `step`: epochs of ⌊N/B⌋ steps over a seeded permutation (drop-last). */
  batch(step: number, batchSize: number, seed: number): TrainBatch {
    const n = this.length;
    const B = Math.min(batchSize, n);
    const perEpoch = Math.floor(n / B);
    const epoch = Math.floor(step / perEpoch);
    const key = `${seed}:${epoch}`;
    if (key !== this.permutationKey) {
      this.permutation = permutation(n, mixSeed(seed, epoch));
      this.permutationKey = key;
    }
    const start = (step % perEpoch) * B;
    return this.gather(this.permutation!.subarray(start, start + B));
  }
}

/** Fisher–Yates over 0..n−1 with a small seeded generator (xorshift32). */
function permutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  let s = seed >>> 0 || 0x9e3779b9;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const j = s % (i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Every step's observation vector (N × Do) in the obs type's layout for task `env`, e.g. to fit a normalizer. */
export function observationMatrix(buffer: ReplayBuffer, obsType: string, env: string): Float32Array {
  const layout = resolveLayout(obsType, buffer, env);
  const Do = obsDimOf(obsType, buffer, env);
  const N = buffer.nSteps;
  const out = new Float32Array(N * Do);
  const cols = layout.map((p) => ({ ...p, data: buffer.get(p.key).data }));
  for (let t = 0; t < N; t++) {
    let o = t * Do;
    for (const c of cols) for (let d = c.from; d < c.to; d++) out[o++] = c.data[t * c.stepSize + d];
  }
  return out;
}
