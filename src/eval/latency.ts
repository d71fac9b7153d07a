/**
 * Policy latency: wall time of one `predictChunk` (one action chunk for every row of the batch) on a real
 * observation history, at the batch sizes a user meets — 1 (one robot) and N (a vectorized evaluation).
 * The first call of each batch size warms up (kernel compilation, allocator) and is not counted.
 */
import { makeEnv } from '../../envs/index.ts';
import type { ObsBatch, Policy } from '../../policies/core/policy.ts';

export interface LatencyRow {
  /** Sampler label, e.g. `ddpm100`, `ddim16`, `deterministic`. */
  sampler: string;
  batch: number;
  ms_mean: number;
  ms_median: number;
  reps: number;
}

/** One observation history (To × Do, the first observation repeated, as at a reset) from an env start. */
export function startHistory(envId: string, envOptions: Record<string, unknown>, seed: number, obsHorizon: number): Float32Array {
  const env = makeEnv(envId, envOptions);
  try {
    const { obs } = env.reset({ seed });
    if (!(obs instanceof Float32Array)) throw new Error(`startHistory: ${envId} with ${JSON.stringify(envOptions)} gives dict observations; expected a flat vector`);
    const out = new Float32Array(obsHorizon * obs.length);
    for (let t = 0; t < obsHorizon; t++) out.set(obs, t * obs.length);
    return out;
  } finally {
    env.close();
  }
}

/** B copies of one observation history. */
export function tileHistory(history: Float32Array, obsHorizon: number, batch: number): ObsBatch {
  const data = new Float32Array(batch * history.length);
  for (let b = 0; b < batch; b++) data.set(history, b * history.length);
  return { batchSize: batch, obsHorizon, obsDim: history.length / obsHorizon, data };
}

export async function chunkLatency(policy: Policy, history: Float32Array, opts: { sampler: string; batch: number; reps: number }): Promise<LatencyRow> {
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
