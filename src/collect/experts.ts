/**
 * The scripted experts the harness can collect demonstrations from, by env id. Each runs one episode in
 * a given env (reading `getState()`, never changing the env except by stepping it) and reports the mode
 * it chose.
 */
import { PushTExpert, PUSHT_MODES } from '../../envs/push-t/expert.ts';
import { labelMode } from '../../envs/push-t/modes.ts';
import { tVerticesWorld } from '../../envs/push-t/geometry.ts';
import { BlockStackExpert } from '../../envs/block-stack/expert.ts';
import { labelOrder } from '../../envs/block-stack/modes.ts';
import { BLOCKSTACK_MODES, OBS as BLOCKSTACK_OBS } from '../../envs/block-stack/env.ts';
import type { Env } from '../../envs/core/types.ts';

export interface ExpertSpec {
  /** Versioned name: part of every dataset's config hash, bumped when the expert's behaviour changes. */
  name: string;
  /** Per-step arrays recorded, with their per-step shapes. */
  schema: Record<string, number[]>;
  /** A fresh expert for the episode with this env seed. */
  make: (seed: number) => { reset(state: readonly number[]): string; act(state: readonly number[]): { action: ArrayLike<number> } };
  /** Per-step record of an observation: the arrays of `schema` (besides `action`), from the state. */
  record: (state: readonly number[], out: Record<string, Float32Array>, t: number) => void;
  /** The mode label of a recorded episode, from its observations alone. */
  label: (episode: Record<string, Float32Array>) => string;
  /** The behaviour modes (labels other than `none`, which means no mode was expressed). */
  modes: readonly string[];
  /** The same rule on a rollout's observations (T × obsDim, in the env's observation layout). */
  labelObservations: (observations: Float32Array, obsDim: number) => string;
}

const corners = new Float64Array(16);

export const EXPERTS: Record<string, ExpertSpec> = {
  'PushT-v0': {
    name: 'pusht-expert-v1',
    // The original's replay buffer holds `state` (agent xy, block xy, angle) and `keypoint`; here the
    // keypoints are the T's 8 box corners (gym-pusht's), not the original's 9 rendered-mask keypoints.
    schema: { state: [5], keypoint: [8, 2], action: [2] },
    make: (seed) => new PushTExpert(seed),
    record: (s, out, t) => {
      const angle = ((s[4] % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
      out.state.set([s[0], s[1], s[2], s[3], angle], t * 5);
      out.keypoint.set(tVerticesWorld(s[2], s[3], s[4], corners), t * 16);
    },
    label: (ep) => labelMode(ep.state, 5, 'state'),
    modes: PUSHT_MODES,
    labelObservations: (obs, obsDim) => labelMode(obs, obsDim, obsDim === 5 ? 'state' : 'keypoints'),
  },
  'BlockStack-v0': {
    name: 'blockstack-expert-v1',
    // `state` is the env's state observation: EE x, y, z, yaw, gripper width, then each cube's position
    // and quaternion (getState() begins with it).
    schema: { state: [BLOCKSTACK_OBS.dim], action: [5] },
    make: (seed) => new BlockStackExpert(seed),
    record: (s, out, t) => {
      for (let k = 0; k < BLOCKSTACK_OBS.dim; k++) out.state[t * BLOCKSTACK_OBS.dim + k] = s[k];
    },
    label: (ep) => labelOrder(ep.state, BLOCKSTACK_OBS.dim),
    modes: BLOCKSTACK_MODES,
    labelObservations: (obs, obsDim) => labelOrder(obs, obsDim),
  },
};

export function expertFor(envId: string): ExpertSpec {
  const spec = EXPERTS[envId];
  if (!spec) throw new Error(`no scripted expert for env ${JSON.stringify(envId)}; experts exist for: ${Object.keys(EXPERTS).join(', ')}`);
  return spec;
}

/**
 * What a rollout's mode labeler reads each step when the policy's observations carry no mode (pixel obs
 * types: an image and the agent's own state): the `state` the expert records, from the env's state, so
 * `labelObservations` labels the rollout as it labels the demonstrations. The array is reused per call.
 */
export function stateLabelInput(envId: string): (env: Env) => Float32Array {
  const spec = expertFor(envId);
  const rec = Object.fromEntries(Object.entries(spec.schema).map(([k, shape]) => [k, new Float32Array(shape.reduce((a, b) => a * b, 1))]));
  return (env) => {
    spec.record(env.getState(), rec, 0);
    return rec.state;
  };
}
