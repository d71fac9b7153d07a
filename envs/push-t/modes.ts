/**
 * Behaviour modes of a Push-T trajectory, from its observations alone, by the same rule for
 * demonstrations and policy rollouts: the direction the T was turned overall.
 *
 * The T's angle is read from each observation (the `state` angle, or the direction of the bar's top edge
 * from the `keypoints` corners), unwrapped step to step, and the net turn from the first to the last
 * observation decides: `cw` when the angle grew (clockwise on screen, y pointing down), `ccw` when it
 * shrank. A turn smaller than `minTurn` (default 3°) is `none`: the T was barely turned, so no mode was
 * expressed (the expert turns it by less only when the goal needs less).
 */
import { PUSHT_MODES, type PushTMode } from './expert.ts';

export type PushTModeLabel = PushTMode | 'none';
export const PUSHT_MODE_LABELS: readonly PushTModeLabel[] = [...PUSHT_MODES, 'none'];

/** The T's angle in one observation. */
export function blockAngle(obs: ArrayLike<number>, obsType: 'state' | 'keypoints', offset = 0): number {
  if (obsType === 'state') return obs[offset + 4];
  // Corners 0 → 1 run along the bar's top edge, local (−60, 0) → (60, 0): their direction is the angle.
  return Math.atan2(obs[offset + 3] - obs[offset + 1], obs[offset + 2] - obs[offset + 0]);
}

/** Net turn (rad) over a sequence of angles, unwrapping each step's change into (−π, π]. */
export function netTurn(angles: ArrayLike<number>): number {
  let total = 0;
  for (let i = 1; i < angles.length; i++) {
    let d = angles[i] - angles[i - 1];
    d -= 2 * Math.PI * Math.round(d / (2 * Math.PI));
    total += d;
  }
  return total;
}

/**
 * Labels a trajectory given as T observations of `obsDim` numbers each, concatenated (as a replay
 * buffer stores them).
 */
export function labelMode(observations: ArrayLike<number>, obsDim: number, obsType: 'state' | 'keypoints', minTurn = (3 * Math.PI) / 180): PushTModeLabel {
  const T = Math.floor(observations.length / obsDim);
  if (T * obsDim !== observations.length) throw new Error(`labelMode: ${observations.length} numbers is not a whole number of ${obsDim}-dim observations`);
  const angles = new Float64Array(T);
  for (let t = 0; t < T; t++) angles[t] = blockAngle(observations, obsType, t * obsDim);
  const turn = netTurn(angles);
  if (Math.abs(turn) < minTurn) return 'none';
  return turn > 0 ? 'cw' : 'ccw';
}
