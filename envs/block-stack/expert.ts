/**
 * A scripted pick-and-place expert for BlockStack-v0, multimodal by construction.
 *
 * Mode: the stacking order, bottom to top (`RGB`: red stays where it is, green goes on it, blue on top),
 * drawn uniformly by the expert's own seeded RNG from the feasible orders. Every order is feasible from
 * every start state: the cubes start ≥ 9 cm apart, so the open gripper reaches each one at its grasp
 * yaw without touching another, and the tower is built where the bottom cube lies, inside the reach.
 * `modes.ts` recovers the order from observations alone (which cube was lifted first, which second).
 *
 * Each of the two moves (middle cube onto the bottom one, top cube onto the middle one) runs the phases
 * approach (above the cube at travel height, gripper open, yaw on one of the cube's faces) → descend →
 * close → lift → carry (the held cube over the support, turned to the support's yaw) → lower (2 mm above
 * resting) → release → retreat; after the last one it waits, gripper open, for the env to see the tower.
 * It acts closed loop on the observed poses: a cube dropped or a stack knocked over sends it back to the
 * move that is undone. Targets lead the EE by at most 3 cm (the controller covers 2 cm per step), so
 * the actions are a smooth path, as a teleoperator's would be. It reads `env.getState()` (whose first
 * 26 numbers are the observation) and never touches the env it demonstrates in.
 */
import { RandomState } from '../core/numpy-random.ts';
import { mixSeed } from '../core/seeding.ts';
import { BLOCKSTACK_MODES, OBS, supportOf, type BlockStackMode } from './env.ts';
import { CUBE_SIZE, CUBES, GRIPPER, LIMITS, quatYaw, wrapAngle } from './geometry.ts';

/** Tag mixed into the episode seed for the expert's RNG ('STCK'). */
const EXPERT_RNG_TAG = 0x5354434b;
/** EE height for moves between cubes: a held cube's bottom clears a two-cube tower by 4.8 cm. */
const Z_TRAVEL = 0.15;
/** EE height for grasping a cube on the table: the fingertips 2 mm above the table. */
const Z_GRASP = 0.022;
/** Drop height (m) of a released cube: its bottom above the support's top when the gripper opens. */
const DROP = 0.002;
/** Longest target offset from the EE (m) and in yaw (rad). */
const REACH = 0.03;
const TURN = 0.3;
/** Steps a phase may take before the move starts over. */
const PHASE_LIMIT = 60;

export type ExpertPhase = 'approach' | 'descend' | 'close' | 'lift' | 'carry' | 'lower' | 'release' | 'retreat' | 'wait';

export interface ExpertStep {
  action: Float64Array;
  phase: ExpertPhase;
}

const QUARTER = Math.PI / 2;

export class BlockStackExpert {
  /** The stacking order chosen for this episode. */
  mode: BlockStackMode = 'RGB';
  /** Cube indices bottom, middle, top. */
  private order: [number, number, number] = [0, 1, 2];
  /** 0: middle onto bottom, 1: top onto middle, 2: done. */
  private move = 0;
  private phase: ExpertPhase = 'approach';
  private phaseSteps = 0;
  private graspYaw = 0;
  private readonly action = new Float64Array(5);
  private readonly rng: RandomState;

  /** `seed` is the episode's env seed; the expert's own RNG is derived from it, independent of the env's. */
  constructor(seed: number) {
    this.rng = new RandomState(mixSeed(seed >>> 0, EXPERT_RNG_TAG));
  }

  /** Starts an episode from `state` (env.getState() or an observation): chooses the order. */
  reset(_state: readonly number[]): BlockStackMode {
    this.mode = BLOCKSTACK_MODES[this.rng.randint(0, BLOCKSTACK_MODES.length)];
    this.order = orderIndices(this.mode);
    this.move = 0;
    this.setPhase('approach');
    return this.mode;
  }

  /** The next action from the state (its first 26 numbers: the `state` observation). */
  act(state: readonly number[]): ExpertStep {
    this.phaseSteps++;
    if (this.phaseSteps > PHASE_LIMIT && this.phase !== 'wait') this.setPhase('approach');
    // Closed loop: undo progress the state no longer shows (a stack knocked over).
    const [bottom, middle] = this.order;
    if (this.move >= 1 && supportOf(state.slice(OBS.cubes, OBS.cubes + 21), middle) !== bottom && !this.holding(state, middle)) {
      this.move = 0;
      this.setPhase('approach');
    }
    if (this.move >= 2 && this.phase === 'wait' && supportOf(state.slice(OBS.cubes, OBS.cubes + 21), this.order[2]) !== middle) {
      this.move = 1;
      this.setPhase('approach');
    }
    for (let guard = 0; guard < 8; guard++) {
      const next = this.plan(state);
      if (next === null) return this.target(state, this.targetPose[0], this.targetPose[1], this.targetPose[2], this.targetPose[3], this.targetPose[4]);
      this.setPhase(next);
    }
    throw new Error(`BlockStack expert: phases did not settle (phase ${this.phase}, move ${this.move})`);
  }

  private readonly targetPose = new Float64Array(5);

  /**
   * Sets `targetPose` for the current phase and returns null, or returns the phase to switch to when
   * this one is done (the caller plans again at once, so no step is spent on bookkeeping).
   */
  private plan(s: readonly number[]): ExpertPhase | null {
    const [ex, ey, ez, eyaw, width] = s;
    const pick = this.order[this.move + 1];
    const support = this.order[this.move];
    const open = GRIPPER.maxWidth;
    const tp = this.targetPose;
    const c = (i: number, k: number) => s[OBS.cubes + OBS.cubeStride * i + k];
    switch (this.phase) {
      case 'approach': {
        if (this.move >= 2) return 'wait';
        this.graspYaw = faceYaw(cubeYaw(s, pick), eyaw);
        tp.set([c(pick, 0), c(pick, 1), Z_TRAVEL, this.graspYaw, open]);
        // Never sweep low across the table: rise first, then cross.
        if (ez < Z_TRAVEL - 0.01 && Math.hypot(c(pick, 0) - ex, c(pick, 1) - ey) > 0.005) tp.set([ex, ey, Z_TRAVEL, eyaw, open]);
        const there = Math.hypot(c(pick, 0) - ex, c(pick, 1) - ey) < 0.002 && Math.abs(ez - Z_TRAVEL) < 0.005 && Math.abs(this.graspYaw - eyaw) < 0.02;
        return there && width > open - 0.005 ? 'descend' : null;
      }
      case 'descend':
        tp.set([c(pick, 0), c(pick, 1), Z_GRASP, this.graspYaw, open]);
        return ez - Z_GRASP < 0.0005 ? 'close' : null;
      case 'close':
        tp.set([ex, ey, Z_GRASP, this.graspYaw, 0]);
        // Closed on the cube, and held two more steps for the grip force to build up.
        return width < CUBE_SIZE + 0.001 && this.phaseSteps > 3 ? 'lift' : null;
      case 'lift':
        if (!this.holding(s, pick)) return 'approach';
        tp.set([ex, ey, Z_TRAVEL, this.graspYaw, 0]);
        return ez > Z_TRAVEL - 0.005 ? 'carry' : null;
      case 'carry': {
        if (!this.holding(s, pick)) return 'approach';
        const dx = c(support, 0) - c(pick, 0);
        const dy = c(support, 1) - c(pick, 1);
        const yaw = alignYaw(eyaw, cubeYaw(s, support) - cubeYaw(s, pick));
        tp.set([ex + dx, ey + dy, Z_TRAVEL, yaw, 0]);
        return Math.hypot(dx, dy) < 0.002 && Math.abs(yaw - eyaw) < 0.02 ? 'lower' : null;
      }
      case 'lower': {
        if (!this.holding(s, pick)) return 'approach';
        const dx = c(support, 0) - c(pick, 0);
        const dy = c(support, 1) - c(pick, 1);
        const z = c(support, 2) + CUBE_SIZE + DROP + (ez - c(pick, 2));
        tp.set([ex + dx, ey + dy, z, eyaw, 0]);
        return Math.abs(ez - z) < 0.0005 && Math.hypot(dx, dy) < 0.002 ? 'release' : null;
      }
      case 'release':
        tp.set([ex, ey, ez, eyaw, open]);
        return width > CUBE_SIZE + 0.02 ? 'retreat' : null;
      case 'retreat':
        tp.set([ex, ey, Z_TRAVEL, eyaw, open]);
        if (ez > Z_TRAVEL - 0.005) {
          this.move++;
          return 'approach';
        }
        return null;
      case 'wait':
        tp.set([ex, ey, ez, eyaw, open]);
        return null;
    }
  }

  /** Whether cube `i` hangs between the fingers: closed gripper, cube centre just below the EE point. */
  private holding(s: readonly number[], i: number): boolean {
    const o = OBS.cubes + OBS.cubeStride * i;
    const lifted = s[2] - s[o + 2];
    return s[4] < CUBE_SIZE + 0.002 && Math.hypot(s[o] - s[0], s[o + 1] - s[1]) < 0.01 && lifted > -0.005 && lifted < 0.015;
  }

  private setPhase(p: ExpertPhase): void {
    this.phase = p;
    this.phaseSteps = 0;
  }

  /** The action towards (x, y, z, yaw, width), at most REACH / TURN from the EE, inside the bounds. */
  private target(s: readonly number[], x: number, y: number, z: number, yaw: number, width: number): ExpertStep {
    const dx = x - s[0];
    const dy = y - s[1];
    const dz = z - s[2];
    const d = Math.hypot(dx, dy, dz);
    const f = d > REACH ? REACH / d : 1;
    const dyaw = Math.max(-TURN, Math.min(TURN, yaw - s[3]));
    const a = this.action;
    a[0] = clip(s[0] + dx * f, LIMITS.x);
    a[1] = clip(s[1] + dy * f, LIMITS.y);
    a[2] = clip(s[2] + dz * f, LIMITS.z);
    a[3] = clip(s[3] + dyaw, LIMITS.yaw);
    a[4] = width;
    return { action: a, phase: this.phase };
  }
}

/** Cube indices bottom → top of an order name such as `RGB`. */
export function orderIndices(mode: string): [number, number, number] {
  const idx = [...mode].map((l) => CUBES.findIndex((c) => c.letter === l));
  if (idx.length !== 3 || idx.some((i) => i < 0) || new Set(idx).size !== 3) throw new Error(`BlockStack: order must be three distinct letters of R, G, B, got ${JSON.stringify(mode)}`);
  return idx as [number, number, number];
}

function cubeYaw(s: readonly number[], i: number): number {
  const o = OBS.cubes + OBS.cubeStride * i + 3;
  return quatYaw(s[o], s[o + 1], s[o + 2], s[o + 3]);
}

/** A gripper yaw facing the cube (its yaw modulo a quarter turn), the one nearest `current`, within ±90°. */
function faceYaw(cube: number, current: number): number {
  return alignYaw(current, cube - current);
}

/** `current` turned by `delta` modulo a quarter turn, the smallest such turn kept inside the yaw bounds. */
function alignYaw(current: number, delta: number): number {
  let yaw = current + wrapAngle(delta, QUARTER);
  if (yaw > LIMITS.yaw[1]) yaw -= QUARTER;
  if (yaw < LIMITS.yaw[0]) yaw += QUARTER;
  return yaw;
}

function clip(v: number, [lo, hi]: readonly [number, number] | readonly number[]): number {
  return Math.min(hi, Math.max(lo, v));
}
