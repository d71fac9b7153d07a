/**
 * Behaviour modes of a BlockStack trajectory, from its observations alone, by the same rule for
 * demonstrations and policy rollouts: the stacking order, bottom to top (`RGB`: red at the bottom).
 *
 * A cube is lifted at the first observation where its centre is more than 1.5 cm above resting on the
 * table (z > 3.5 cm; a cube tipped onto an edge reaches 2.83 cm, one on another cube 6 cm). Read from
 * the order of first lifts:
 * - two or more cubes lifted: the first lifted is the middle, the second the top, the remaining one
 *   (or, if all three were lifted, the last lifted) the bottom;
 * - one cube lifted: the order is committed to once it rests on another cube at the last observation
 *   (that one is the bottom, the unlifted third the top); otherwise no mode was expressed;
 * - none lifted: `none`.
 * Cubes first seen lifted at the same observation (a stretch of a rollout that starts mid-stack) are
 * ordered by their height then: the lower one was stacked first.
 */
import { OBS, supportOf, BLOCKSTACK_MODES, type BlockStackMode } from './env.ts';
import { CUBE_HALF, CUBES } from './geometry.ts';

export type BlockStackModeLabel = BlockStackMode | 'none';
export const BLOCKSTACK_MODE_LABELS: readonly BlockStackModeLabel[] = [...BLOCKSTACK_MODES, 'none'];

/** Height above resting on the table (m) beyond which a cube counts as lifted. */
export const LIFT_HEIGHT = 0.015;

/**
 * Labels a trajectory of T `state` observations (26 numbers each), concatenated as a replay buffer
 * stores them.
 */
export function labelOrder(observations: ArrayLike<number>, obsDim: number = OBS.dim): BlockStackModeLabel {
  if (obsDim !== OBS.dim) throw new Error(`labelOrder: BlockStack-v0 state observations have ${OBS.dim} numbers, got obsDim ${obsDim}`);
  const T = Math.floor(observations.length / obsDim);
  if (T * obsDim !== observations.length) throw new Error(`labelOrder: ${observations.length} numbers is not a whole number of ${obsDim}-dim observations`);
  const firstLift = [Infinity, Infinity, Infinity];
  const liftZ = [0, 0, 0];
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < 3; i++) {
      const z = observations[t * obsDim + OBS.cubes + OBS.cubeStride * i + 2];
      if (firstLift[i] === Infinity && z > CUBE_HALF + LIFT_HEIGHT) {
        firstLift[i] = t;
        liftZ[i] = z;
      }
    }
  }
  // Lifted cubes by time of first lift, then by height (then cube order: the label is a function of the data).
  const lifted = [0, 1, 2].filter((i) => firstLift[i] < Infinity).sort((a, b) => firstLift[a] - firstLift[b] || liftZ[a] - liftZ[b] || a - b);
  let order: number[];
  if (lifted.length >= 2) {
    const bottom = lifted.length === 3 ? lifted[2] : [0, 1, 2].find((i) => !lifted.includes(i))!;
    order = [bottom, lifted[0], lifted[1]];
  } else if (lifted.length === 1) {
    const last = Array.from({ length: 21 }, (_, k) => observations[(T - 1) * obsDim + OBS.cubes + k]);
    const bottom = supportOf(last, lifted[0]);
    if (bottom < 0) return 'none';
    order = [bottom, lifted[0], 3 - bottom - lifted[0]];
  } else {
    return 'none';
  }
  return order.map((i) => CUBES[i].letter).join('') as BlockStackMode;
}
