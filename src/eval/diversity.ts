/**
 * The action-diversity probe (facts §7): one start state where the demonstrations go more than one way,
 * K noise seeds, one predicted action sequence each; the sequences' endpoints are clustered. A policy that
 * kept the modes answers with several well-separated clusters; a regressor (MLP-BC) with one point.
 */
import { makeEnv } from '../../envs/index.ts';
import { GOAL_POSE } from '../../envs/push-t/geometry.ts';
import { wrapToPi } from '../../envs/push-t/expert.ts';
import type { Policy, PredictOptions, ObsBatch } from '../../policies/core/policy.ts';
import { actionDiversity, type ActionDiversity } from './multimodality.ts';
import { startHistory, tileHistory } from './latency.ts';
import type { Renderer } from '../render/renderer.ts';

/**
 * Start states where more than one mode is reasonable, from the env's exact state. Push-T: the T must
 * turn by at least 90° (the expert then picks either direction), as in envs/push-t/expert.ts.
 */
const MULTIMODAL_START: Record<string, (state: readonly number[]) => boolean> = {
  'PushT-v0': (s) => Math.abs(wrapToPi(GOAL_POSE[2] - s[4])) >= Math.PI / 2,
};

/** Clustering radius of the probe's endpoints, in the task's action units: Push-T 30 px (two disc radii), BlockStack 3 cm. */
export const PROBE_RADIUS: Record<string, number> = { 'PushT-v0': 30, 'BlockStack-v0': 0.03 };

export function probeRadius(envId: string): number {
  const r = PROBE_RADIUS[envId];
  if (r === undefined) throw new Error(`diversity probe: no clustering radius for env ${JSON.stringify(envId)}; known: ${Object.keys(PROBE_RADIUS).join(', ')}`);
  return r;
}

/** The first seed from `seeds` whose start is multimodal (any seed for envs without a rule). */
export function multimodalSeed(envId: string, seeds: readonly number[]): number {
  const rule = MULTIMODAL_START[envId];
  if (!rule) return seeds[0];
  const env = makeEnv(envId);
  try {
    for (const seed of seeds) {
      env.reset({ seed });
      if (rule(env.getState())) return seed;
    }
  } finally {
    env.close();
  }
  throw new Error(`multimodalSeed: none of the ${seeds.length} seeds from ${seeds[0]} gives ${envId} a start where several modes are reasonable`);
}

export interface DiversityProbe extends ActionDiversity {
  seed: number;
  K: number;
  /** Clustering radius, in action units (Push-T: pixels). */
  radius: number;
  /** K × Da endpoints (the last predicted action of each sample). */
  endpoints: number[];
}

type Sequencer = Policy & { predictSequence?: (obs: ObsBatch, opts?: PredictOptions) => Promise<Float32Array[]> };

/** `renderer`: for envs with a camera (image policies), to draw the start's image. */
export async function diversityProbe(policy: Sequencer, o: { envId: string; envOptions: Record<string, unknown>; seed: number; K: number; radius: number; noiseSeedBase?: number; renderer?: Renderer }): Promise<DiversityProbe> {
  if (!Number.isInteger(o.K) || o.K < 2) throw new Error(`diversityProbe: K must be an integer ≥ 2, got ${o.K}`);
  const { obsHorizon, actionDim: Da } = policy.config;
  const obs = tileHistory(await startHistory(o.envId, o.envOptions, o.seed, obsHorizon, o.renderer), obsHorizon, o.K);
  const noiseSeeds = Array.from({ length: o.K }, (_, k) => (o.noiseSeedBase ?? 0) + k);
  const seqs = policy.predictSequence ? await policy.predictSequence(obs, { noiseSeeds }) : await policy.predictChunk(obs, { noiseSeeds });
  const endpoints = seqs.flatMap((s) => Array.from(s.subarray(s.length - Da)));
  return { seed: o.seed, K: o.K, radius: o.radius, endpoints, ...actionDiversity(endpoints, Da, { radius: o.radius }) };
}
