/**
 * The Env contract: Gymnasium's, TypeScript-shaped.
 *
 *   const env = makeEnv('PushT-v0', { obsType: 'keypoints' });
 *   let { obs } = env.reset({ seed: 100000 });
 *   for (;;) {
 *     const { obs, reward, terminated, truncated, info } = env.step(action);
 *     if (terminated || truncated) break;
 *   }
 *   env.close();
 *
 * The RNG is seeded only through `reset({ seed })`. `getState()` / `reset({ state })` give exact replay
 * (robomimic's `get_state` / `reset_to`): the expert plans with it and the harness uses it to restore a
 * start state. Observations and infos returned by `reset`/`step` are fresh objects the caller may keep.
 */
import type { Box } from './spaces.ts';

/** A low-dimensional observation, or a dict of named arrays (pixels come as uint8 HxWx3). */
export type Obs = Float32Array | { readonly [key: string]: Float32Array | Uint8Array };

/** Per-step diagnostics. Every task reports `isSuccess`; the rest is task-specific and documented in its spec. */
export interface Info {
  isSuccess: boolean;
  [key: string]: number | boolean | string | number[] | undefined;
}

export interface EnvSpec {
  /** Versioned id, e.g. `PushT-v0`. */
  readonly id: string;
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  /** Episodes are truncated after this many control steps (by the TimeLimit wrapper of `makeEnv`). */
  readonly maxEpisodeSteps: number;
  /** Control (action) rate in Hz. */
  readonly controlHz: number;
  /** Names of the behaviour modes a trajectory can be labelled with (multimodality statistics). */
  readonly modes: readonly string[];
  /** The options the env was made with, after defaults; part of every config hash. */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Set when observations include a camera image: its size. `reset`/`step` then return dict observations
   * without it, and the harness adds `pixels` (uint8 H × W × 3, row-major from the top-left) rendered
   * from `frame()` for all envs of a rollout at once (src/render/pixels.ts): rendering is asynchronous,
   * in a browser, and `step` is not. `observationSpace` describes the rest (e.g. `agent_pos`).
   */
  readonly pixels?: { readonly width: number; readonly height: number };
}

export interface ResetOptions {
  /** A non-negative integer; the same seed gives the same start state. */
  seed?: number;
  /** An exact state from `getState()` (or the task's documented short form). Takes precedence over `seed`. */
  state?: readonly number[];
}

export interface StepResult {
  obs: Obs;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

/** Body poses for the renderer: `poses` holds x, y, z, qx, qy, qz, qw per body, in `names` order. */
export interface SceneFrame {
  readonly names: readonly string[];
  readonly poses: Float32Array;
}

export interface Env {
  readonly spec: EnvSpec;
  reset(opts?: ResetOptions): { obs: Obs; info: Info };
  step(action: ArrayLike<number>): StepResult;
  /** Everything needed to continue the episode exactly: `reset({ state: env.getState() })` reproduces it. */
  getState(): number[];
  frame(): SceneFrame;
  /** Frees the physics engine's memory. The env cannot be used afterwards. */
  close(): void;
}
