/**
 * Policy latency: wall time of one `predictChunk` (one action chunk for every row of the batch) on a real
 * observation history, at the batch sizes a user meets — 1 (one robot) and N (a vectorized evaluation).
 * The first call of each batch size warms up (kernel compilation, allocator) and is not counted. Image
 * policies get the start's camera image in the batch (`ObsBatch.images`), so their encoder is timed too.
 */
import { makeEnv } from '../../envs/index.ts';
import type { ObsBatch, Policy } from '../../policies/core/policy.ts';
import { lowDimOf, PixelRenderer } from '../render/pixels.ts';
import type { Renderer } from '../render/renderer.ts';

export interface LatencyRow {
  /** Sampler label, e.g. `ddpm100`, `ddim16`, `deterministic`. */
  sampler: string;
  batch: number;
  ms_mean: number;
  ms_median: number;
  reps: number;
}

/** One observation history, as at a reset (the first observation repeated To times). */
export interface StartHistory {
  /** To × Do: the low-dimensional part (an env with a camera: the float32 entries of its dict observation, e.g. agent_pos). */
  data: Float32Array;
  /** Envs with a camera: To × H × W × 3 uint8, the start's image repeated. */
  images?: Uint8Array;
}

/**
 * The observation history of an env start. An env with a camera (`spec.pixels`, e.g. `pixels_agent_pos`) needs
 * `renderer`: the start is drawn by it, as a rollout draws it (src/render/pixels.ts).
 */
export async function startHistory(envId: string, envOptions: Record<string, unknown>, seed: number, obsHorizon: number, renderer?: Renderer): Promise<StartHistory> {
  const env = makeEnv(envId, envOptions);
  try {
    const { obs } = env.reset({ seed });
    const o = lowDimOf(obs);
    const data = new Float32Array(obsHorizon * o.length);
    for (let t = 0; t < obsHorizon; t++) data.set(o, t * o.length);
    if (!env.spec.pixels) return { data };
    if (!renderer) throw new Error(`startHistory: ${envId} with ${JSON.stringify(envOptions)} has a camera (${env.spec.pixels.width}×${env.spec.pixels.height}); give a renderer to draw its start`);
    const [img] = await PixelRenderer.forEnv(renderer, env)!.observe([env]);
    const images = new Uint8Array(obsHorizon * img.length);
    for (let t = 0; t < obsHorizon; t++) images.set(img, t * img.length);
    return { data, images };
  } finally {
    env.close();
  }
}

/** B copies of one observation history. */
export function tileHistory(history: StartHistory, obsHorizon: number, batch: number): ObsBatch {
  const tile = <T extends Float32Array | Uint8Array>(src: T, out: T): T => {
    for (let b = 0; b < batch; b++) out.set(src, b * src.length);
    return out;
  };
  const data = tile(history.data, new Float32Array(batch * history.data.length));
  const images = history.images && tile(history.images, new Uint8Array(batch * history.images.length));
  return { batchSize: batch, obsHorizon, obsDim: history.data.length / obsHorizon, data, ...(images ? { images } : {}) };
}

export async function chunkLatency(policy: Policy, history: StartHistory, opts: { sampler: string; batch: number; reps: number }): Promise<LatencyRow> {
  const { batch, reps } = opts;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`chunkLatency: batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`chunkLatency: reps must be a positive integer, got ${reps}`);
  const obs = tileHistory(history, policy.config.obsHorizon, batch);
  const seeds = (r: number) => Array.from({ length: batch }, (_, b) => r * batch + b);
  await policy.predictChunk(obs, { noiseSeeds: seeds(0) });
  const ms: number[] = [];
  for (let r = 1; r <= reps; r++) {
    const t0 = performance.now();
    await policy.predictChunk(obs, { noiseSeeds: seeds(r) });
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { sampler: opts.sampler, batch, ms_mean: ms.reduce((a, b) => a + b, 0) / reps, ms_median: ms[reps >> 1], reps };
}
