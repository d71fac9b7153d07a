/**
 * Seeded closed-loop rollouts (diffusion_policy's env runner): episodes run in waves of `nEnvs` envs in
 * lockstep, with one batched `predictChunk` per decision; each env keeps its last To observations (padded
 * at reset by repeating the first, as MultiStepWrapper does), executes the Ta actions of its chunk
 * open-loop, and stops stepping when its episode ends.
 */
import { makeEnv } from '../../envs/index.ts';
import type { TimeLimit } from '../../envs/core/wrappers.ts';
import type { Policy } from '../../policies/core/policy.ts';
import { mixSeed } from '../../envs/core/seeding.ts';

export interface EpisodeRecord {
  seed: number;
  /** Seed of the policy's sampling noise for this episode (chunk k uses a seed derived from it and k). */
  noiseSeed: number;
  /** The paper's Push-T number: max over steps of the reward. */
  maxReward: number;
  /** LeRobot's number: the env reported success at some step. */
  success: boolean;
  maxCoverage: number;
  finalCoverage: number;
  /** Control steps taken. */
  length: number;
  terminated: boolean;
  truncated: boolean;
  /** Behaviour mode of the episode, from its observations (the env's labeler), when one is given. */
  mode?: string;
  /**
   * The same label for each 8-step stretch (an action chunk of Ta = 8; the expert is cut the same way):
   * the material of commitment and switch rate (facts §7.5).
   */
  chunkModes?: string[];
}

/** Steps per labelled stretch of an episode (the paper's Ta). */
export const LABEL_CHUNK = 8;

/**
 * A policy that acts from the env's full state, one action per step (the scripted expert: the ceiling
 * row of every table). It gets each episode's seed and start state, as the expert does when it collects.
 */
export interface StatePolicy extends Policy {
  readonly usesState: true;
  startEpisode(slot: number, seed: number, state: readonly number[]): void;
  actFromState(slot: number, state: readonly number[]): ArrayLike<number>;
}

export function isStatePolicy(p: Policy): p is StatePolicy {
  return (p as Partial<StatePolicy>).usesState === true;
}

export interface RolloutOptions {
  envId: string;
  envOptions?: Record<string, unknown>;
  policy: Policy;
  seeds: readonly number[];
  /** Envs stepped in lockstep (one policy call per decision covers all of them). */
  nEnvs?: number;
  maxEpisodeSteps?: number;
  /** Base of the per-episode noise seeds: episode with env seed s samples with noise seed base + s. */
  noiseSeedBase?: number;
  onEpisode?: (ep: EpisodeRecord, done: number, total: number) => void;
  /** Called after every batched policy call with its wall time and batch size (latency statistics). */
  onPolicyCall?: (ms: number, batchSize: number) => void;
  /** Labels an episode's mode from its observations (T × obsDim, first observation included). */
  labeler?: (observations: Float32Array, obsDim: number) => string;
}

interface Slot {
  env: TimeLimit;
  seed: number;
  noiseSeed: number;
  history: Float32Array; // To × Do
  rec: EpisodeRecord;
  done: boolean;
  /** Every observation of the episode, for the mode labeler. */
  trace: number[];
  /** Observation index where the current labelled stretch began. */
  chunkStart: number;
}

export async function rollout(opts: RolloutOptions): Promise<EpisodeRecord[]> {
  const { policy, seeds } = opts;
  const { obsHorizon: To, actionHorizon: Ta, obsDim: Do, actionDim: Da } = policy.config;
  if (new Set(seeds).size !== seeds.length) throw new Error(`rollout: seeds must be distinct, got ${seeds.length} seeds with repeats`);
  const nEnvs = Math.max(1, Math.min(opts.nEnvs ?? 10, seeds.length));
  const envs = Array.from({ length: nEnvs }, () => makeEnv(opts.envId, { ...opts.envOptions, maxEpisodeSteps: opts.maxEpisodeSteps }));
  if (envs[0].spec.actionSpace.size !== Da) {
    throw new Error(`rollout: policy ${policy.config.id} acts in ${Da} dims but ${opts.envId} takes ${envs[0].spec.actionSpace.size}`);
  }
  const out: EpisodeRecord[] = [];
  try {
    for (let start = 0; start < seeds.length; start += nEnvs) {
      const wave = seeds.slice(start, start + nEnvs);
      policy.reset();
      const slots: Slot[] = wave.map((seed, i) => {
        const env = envs[i];
        const { obs, info } = env.reset({ seed });
        const o = lowDim(obs, Do, opts.envId, policy.config.id);
        const history = new Float32Array(To * Do);
        for (let t = 0; t < To; t++) history.set(o, t * Do);
        const cov = info.coverage as number;
        const noiseSeed = ((opts.noiseSeedBase ?? 0) + seed) >>> 0;
        if (isStatePolicy(policy)) policy.startEpisode(i, seed, env.getState());
        return {
          env, seed, noiseSeed, history, done: false, trace: opts.labeler ? Array.from(o) : [], chunkStart: 0,
          rec: { seed, noiseSeed, maxReward: 0, success: info.isSuccess, maxCoverage: cov, finalCoverage: cov, length: 0, terminated: false, truncated: false },
        };
      });
      const record = (s: Slot, r: ReturnType<TimeLimit['step']>) => {
        const o = lowDim(r.obs, Do, opts.envId, policy.config.id);
        s.history.copyWithin(0, Do);
        s.history.set(o, (To - 1) * Do);
        if (opts.labeler) {
          for (let d = 0; d < Do; d++) s.trace.push(o[d]);
          const n = s.trace.length / Do; // observations so far
          if (n - 1 - s.chunkStart === LABEL_CHUNK || r.terminated || r.truncated) {
            (s.rec.chunkModes ??= []).push(opts.labeler(Float32Array.from(s.trace.slice(s.chunkStart * Do)), Do));
            s.chunkStart = n - 1;
          }
        }
        const cov = r.info.coverage as number;
        const rec = s.rec;
        rec.length++;
        rec.maxReward = Math.max(rec.maxReward, r.reward);
        rec.success ||= r.info.isSuccess;
        rec.maxCoverage = Math.max(rec.maxCoverage, cov);
        rec.finalCoverage = cov;
        if (r.terminated || r.truncated) {
          rec.terminated = r.terminated;
          rec.truncated = r.truncated;
          if (opts.labeler) rec.mode = opts.labeler(Float32Array.from(s.trace), Do);
          s.done = true;
          out.push(rec);
          opts.onEpisode?.(rec, out.length, seeds.length);
        }
      };
      if (isStatePolicy(policy)) {
        // Closed loop at the control rate: one action per env per step, from the full state.
        while (slots.some((s) => !s.done)) {
          slots.forEach((s, i) => {
            if (!s.done) record(s, s.env.step(policy.actFromState(i, s.env.getState())));
          });
        }
        continue;
      }
      for (let chunkIndex = 0; slots.some((s) => !s.done); chunkIndex++) {
        const active = slots.filter((s) => !s.done);
        const data = new Float32Array(active.length * To * Do);
        active.forEach((s, b) => data.set(s.history, b * To * Do));
        const t0 = performance.now();
        const chunks = await policy.predictChunk(
          { batchSize: active.length, obsHorizon: To, obsDim: Do, data },
          { noiseSeeds: active.map((s) => mixSeed(s.noiseSeed, chunkIndex)) },
        );
        opts.onPolicyCall?.(performance.now() - t0, active.length);
        for (let t = 0; t < Ta; t++) {
          active.forEach((s, b) => {
            if (!s.done) record(s, s.env.step(chunks[b].subarray(t * Da, (t + 1) * Da)));
          });
        }
      }
    }
  } finally {
    for (const env of envs) env.close();
  }
  // Waves finish in order, but episodes within a wave finish in any order: report in seed-list order.
  const order = new Map(seeds.map((s, i) => [s, i]));
  return out.sort((a, b) => order.get(a.seed)! - order.get(b.seed)!);
}

function lowDim(obs: unknown, Do: number, envId: string, policyId: string): Float32Array {
  if (!(obs instanceof Float32Array)) throw new Error(`rollout: ${envId} returns dict observations; policy ${policyId} needs a flat vector`);
  if (obs.length !== Do) throw new Error(`rollout: policy ${policyId} expects observations of length ${Do}, ${envId} gives ${obs.length}`);
  return obs;
}
