/**
 * Seeded closed-loop rollouts (diffusion_policy's env runner): episodes run in waves of `nEnvs` envs in
 * lockstep, with one batched `predictChunk` per decision; each env keeps its last To observations (padded
 * at reset by repeating the first, as MultiStepWrapper does), executes the Ta actions of its chunk
 * open-loop, and stops stepping when its episode ends.
 *
 * Envs with a camera (`spec.pixels`, e.g. PushT-v0 `pixels_agent_pos`) are rendered once per control step
 * for all envs of the wave (src/render/pixels.ts); the policy gets their last To images in
 * `ObsBatch.images` beside the low-dimensional part (`agent_pos`) in `data`. `videos` records episodes
 * with the same renderer, in the background. Runs with neither launch no browser.
 */
import { makeEnv } from '../../envs/index.ts';
import type { TimeLimit } from '../../envs/core/wrappers.ts';
import type { Policy } from '../../policies/core/policy.ts';
import { mixSeed } from '../../envs/core/seeding.ts';
import type { Env, Info } from '../../envs/core/types.ts';
import { Renderer } from '../render/renderer.ts';
import { PixelRenderer, lowDimOf } from '../render/pixels.ts';
import { sceneFor } from '../render/scenes.ts';
import { EpisodeVideos, type VideoOptions } from '../render/video.ts';

export interface EpisodeRecord {
  seed: number;
  /** Seed of the policy's sampling noise for this episode (chunk k uses a seed derived from it and k). */
  noiseSeed: number;
  /** The paper's Push-T number: max over steps of the reward. */
  maxReward: number;
  /** LeRobot's number: the env reported success at some step. */
  success: boolean;
  /** Max and last progress over the episode: Push-T's coverage; the reward for tasks without one. */
  maxCoverage: number;
  finalCoverage: number;
  /** Control steps taken. */
  length: number;
  /** Task events that happened at some step (BlockStack-v0: p1 / p2 = at least one / two cubes placed). */
  events?: Record<string, boolean>;
  terminated: boolean;
  truncated: boolean;
  /** Behaviour mode of the episode, from its observations (the env's labeler), when one is given. */
  mode?: string;
  /**
   * The same label for each 8-step stretch (an action chunk of Ta = 8; the expert is cut the same way):
   * the material of commitment and switch rate (facts §7.5).
   */
  chunkModes?: string[];
  /** Video files of the episode, relative to the eval folder (`videos/ep_<seed>.gif`, `.mp4`), when recorded. */
  videos?: string[];
}

/**
 * Progress at a step: the env's `coverage` (Push-T: share of the goal T covered), or for tasks without
 * one the reward (BlockStack-v0: cubes placed / 2).
 */
function coverageOf(info: Info, reward: number): number {
  return typeof info.coverage === 'number' ? info.coverage : reward;
}

/** Boolean info fields recorded as per-episode events ("happened at some step"): BlockStack-v0's p1, p2. */
export const EVENT_KEYS = ['p1', 'p2'] as const;

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
  /** What the labeler reads each step when not the low-dimensional observation (pixel runs: the env's state). */
  labelInput?: (env: Env) => ArrayLike<number>;
  /**
   * Renderer for pixel observations and videos; when one is needed and none is given, the rollout
   * launches its own and closes it at the end.
   */
  renderer?: Renderer;
  /** Record videos of some episodes (default: the first 4 seeds and every failure) into `videos.dir`. */
  videos?: VideoOptions;
}

interface Slot {
  env: TimeLimit;
  /** Index among the wave's envs, and of the seed in the seed list. */
  index: number;
  seedIndex: number;
  seed: number;
  noiseSeed: number;
  history: Float32Array; // To × Do
  images: Uint8Array | null; // To × H × W × 3, for envs with a camera
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
  const pixelSize = envs[0].spec.pixels;
  let renderer = opts.renderer ?? null;
  const ownRenderer = renderer === null && (pixelSize !== undefined || opts.videos !== undefined);
  let videos: EpisodeVideos | null = null;
  try {
    if (ownRenderer) renderer = await Renderer.launch();
    const camera = renderer && pixelSize ? PixelRenderer.forEnv(renderer, envs[0]) : null;
    if (renderer && opts.videos) videos = new EpisodeVideos(renderer, sceneFor(opts.envId), nEnvs, opts.videos, { size: pixelSize?.width ?? 96, fps: envs[0].spec.controlHz });
    const imageBytes = camera?.imageBytes ?? 0;
    const label = (env: Env, o: Float32Array): ArrayLike<number> => (opts.labelInput ? opts.labelInput(env) : o);
    let labelDim = Do;
    // The newest image of each slot in `slots` goes to the end of its history (at reset: fills it).
    const observeImages = async (slots: Slot[], fill: boolean) => {
      if (!camera || slots.length === 0) return;
      const imgs = await camera.observe(slots.map((s) => s.env));
      slots.forEach((s, k) => {
        const h = s.images!;
        if (fill) for (let t = 0; t < To; t++) h.set(imgs[k], t * imageBytes);
        else {
          h.copyWithin(0, imageBytes);
          h.set(imgs[k], (To - 1) * imageBytes);
        }
      });
    };
    for (let start = 0; start < seeds.length; start += nEnvs) {
      const wave = seeds.slice(start, start + nEnvs);
      policy.reset();
      const slots: Slot[] = wave.map((seed, i) => {
        const env = envs[i];
        const { obs, info } = env.reset({ seed });
        const o = lowDim(obs, Do, opts.envId, policy.config.id);
        videos?.begin(i, env.frame());
        const l = label(env, o);
        labelDim = l.length;
        const history = new Float32Array(To * Do);
        for (let t = 0; t < To; t++) history.set(o, t * Do);
        const cov = coverageOf(info, 0);
        const noiseSeed = ((opts.noiseSeedBase ?? 0) + seed) >>> 0;
        if (isStatePolicy(policy)) policy.startEpisode(i, seed, env.getState());
        return {
          env, index: i, seedIndex: start + i, seed, noiseSeed, history, done: false, trace: opts.labeler ? Array.from(l) : [], chunkStart: 0,
          images: camera ? new Uint8Array(To * imageBytes) : null,
          rec: { seed, noiseSeed, maxReward: 0, success: info.isSuccess, maxCoverage: cov, finalCoverage: cov, length: 0, terminated: false, truncated: false },
        };
      });
      await observeImages(slots, true);
      const record = (s: Slot, r: ReturnType<TimeLimit['step']>) => {
        const o = lowDim(r.obs, Do, opts.envId, policy.config.id);
        s.history.copyWithin(0, Do);
        s.history.set(o, (To - 1) * Do);
        videos?.add(s.index, s.env.frame());
        if (opts.labeler) {
          const l = label(s.env, o);
          for (let d = 0; d < labelDim; d++) s.trace.push(l[d]);
          const n = s.trace.length / labelDim; // observations so far
          if (n - 1 - s.chunkStart === LABEL_CHUNK || r.terminated || r.truncated) {
            (s.rec.chunkModes ??= []).push(opts.labeler(Float32Array.from(s.trace.slice(s.chunkStart * labelDim)), labelDim));
            s.chunkStart = n - 1;
          }
        }
        const cov = coverageOf(r.info, r.reward);
        const rec = s.rec;
        for (const k of EVENT_KEYS) if (typeof r.info[k] === 'boolean') (rec.events ??= {})[k] = (rec.events[k] ?? false) || (r.info[k] as boolean);
        rec.length++;
        rec.maxReward = Math.max(rec.maxReward, r.reward);
        rec.success ||= r.info.isSuccess;
        rec.maxCoverage = Math.max(rec.maxCoverage, cov);
        rec.finalCoverage = cov;
        if (r.terminated || r.truncated) {
          rec.terminated = r.terminated;
          rec.truncated = r.truncated;
          if (opts.labeler) rec.mode = opts.labeler(Float32Array.from(s.trace), labelDim);
          const files = videos?.end(s.index, s.seed, s.seedIndex, rec.success);
          if (files) rec.videos = files;
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
          await observeImages(slots.filter((s) => !s.done), false);
        }
        continue;
      }
      for (let chunkIndex = 0; slots.some((s) => !s.done); chunkIndex++) {
        const active = slots.filter((s) => !s.done);
        const data = new Float32Array(active.length * To * Do);
        active.forEach((s, b) => data.set(s.history, b * To * Do));
        let images: Uint8Array | undefined;
        if (camera) {
          images = new Uint8Array(active.length * To * imageBytes);
          active.forEach((s, b) => images!.set(s.images!, b * To * imageBytes));
        }
        const t0 = performance.now();
        const chunks = await policy.predictChunk(
          { batchSize: active.length, obsHorizon: To, obsDim: Do, data, ...(images ? { images } : {}) },
          { noiseSeeds: active.map((s) => mixSeed(s.noiseSeed, chunkIndex)) },
        );
        opts.onPolicyCall?.(performance.now() - t0, active.length);
        for (let t = 0; t < Ta; t++) {
          active.forEach((s, b) => {
            if (!s.done) record(s, s.env.step(chunks[b].subarray(t * Da, (t + 1) * Da)));
          });
          // The images after this step, for the envs that go on (one batched render).
          await observeImages(active.filter((s) => !s.done), false);
        }
      }
    }
    await videos?.finish();
    videos = null;
  } finally {
    for (const env of envs) env.close();
    // After a failure, let running video jobs settle before their renderer goes away.
    if (videos) await videos.finish().catch(() => undefined);
    if (ownRenderer) await renderer?.close();
  }
  // Waves finish in order, but episodes within a wave finish in any order: report in seed-list order.
  const order = new Map(seeds.map((s, i) => [s, i]));
  return out.sort((a, b) => order.get(a.seed)! - order.get(b.seed)!);
}

function lowDim(obs: ReturnType<TimeLimit['step']>['obs'], Do: number, envId: string, policyId: string): Float32Array {
  const o = lowDimOf(obs);
  if (o.length !== Do) throw new Error(`rollout: policy ${policyId} expects observations of length ${Do}, ${envId} gives ${o.length}${obs instanceof Float32Array ? '' : ` (the float32 entries of its dict observation)`}`);
  return o;
}
