/**
 * BlockStack-v0 — stack three cubes into one tower with a parallel-jaw gripper (3-D, Rapier, 10 Hz).
 *
 * ## Description
 * A table with three 4 cm, 100 g cubes (red, green, blue) and a gripper: a kinematic hand moved by a
 * velocity-limited controller and two fingers on prismatic joints, driven by a force-limited spring
 * (10 N per finger), that hold a cube by contact and friction alone (geometry.ts, world.ts). The task:
 * one tower of all three cubes, in any order. Units are metres and radians, z up, table top at z = 0.
 *
 * ## Action space
 * `Box([-0.2, -0.2, 0.02, -π/2, 0], [0.2, 0.2, 0.3, π/2, 0.08], (5,), float32)`: the absolute target of
 * the end-effector (EE) — x, y, z of the point between the finger pads, yaw about z — and the gripper
 * width command (gap between the pads). Each action is held for 10 physics steps of 10 ms; in each, the
 * EE moves straight towards the target by at most 2 mm (20 cm/s) and turns by at most 0.9° (90°/s), and
 * the fingers' opening target moves towards the command at 20 cm/s, staying within 5 mm (10 N) of the
 * actual opening. Targets outside the bounds are clipped; NaN, ±Infinity or a wrong length are errors.
 * The hand is position-controlled with no force limit: fingertips driven down onto a cube press it up
 * to ~1 cm into the table until they lift (a real arm would stall; this one does not).
 *
 * ## Observation space (`obsType`)
 * - `state` (default, float32, 26): EE x, y, z, yaw; gripper width (measured gap between the pads);
 *   then for red, green, blue: centre x, y, z and orientation quaternion qx, qy, qz, qw (sign chosen so
 *   qw ≥ 0). A cube at rest on the table has z = 0.02.
 * - `pixels_agent_pos`: `{ pixels, agent_pos }`, the view of a fixed perspective camera in front of and
 *   above the table (uint8 H × W × 3, `renderSize` × `renderSize`, default 96; scene.ts) and the robot's
 *   own proprioception (float32, 5): EE x, y, z, yaw and measured gripper width, the first 5 numbers of
 *   `state`. No cube pose: the cubes are seen, not sensed. `pixels`: the image alone. The env returns
 *   `agent_pos` (or nothing); the harness renders `pixels` from `frame()` for all envs of a rollout in
 *   one batch (`spec.pixels`, src/render/pixels.ts), as for PushT-v0.
 *
 * ## Reward
 * A cube is placed when it has rested on another cube — centre 4 cm ± 5 mm above the other's and within
 * 1 cm of it horizontally, moving < 1 cm/s and < 0.5 rad/s, no finger within 1 mm of it (the gripper
 * has let go) — for 10 control steps (1 s) in a row. reward = (cubes placed now) / 2, in {0, 0.5, 1}.
 * `info`: `isSuccess` (two cubes placed: with three cubes that is one tower of all three), `nPlaced`,
 * `p1` / `p2` (at least one / two cubes placed at some step of the episode so far, as Diffusion Policy's
 * block-push p1/p2), `tower` (letters of the placed stack from the bottom, e.g. `RG`; empty if none).
 *
 * ## Starting state
 * `reset({ seed })`: from numpy's legacy `RandomState(seed)`, each cube in turn gets a centre uniform in
 * [−0.12, 0.12]² (redrawn until it is ≥ 9 cm from the cubes before it) and a yaw uniform in [−π/4, π/4),
 * at rest on the table; the EE starts at (0, 0, 0.2), yaw 0, gripper open (0.08).
 * `reset({ state })` takes either a state from `getState()` (exact: the episode continues bit for bit as
 * it would have) or the short form, an observation (26 numbers): the scene at those poses, at rest
 * (quaternions normalised; EE and width within the action bounds).
 *
 * `getState()`: [observation (26, the EE pose in float64), finger opening target, the three placement
 * counters, most cubes placed so far, snapshot length in bytes, the Rapier world snapshot as uint32
 * words (little-endian)]. The snapshot (`World.takeSnapshot`) holds what the solver carries from step to
 * step (contact manifolds with their warm-start impulses, joint impulses, velocities), which a world
 * rebuilt from poses would lose: a held cube and a tower would jolt at every rebuild.
 *
 * ## Episode end
 * Terminated on success; truncated after 400 steps (by `makeEnv`'s TimeLimit). Stepping an ended
 * episode is an error.
 *
 * ## Version history
 * - v0: first version.
 */
import { z } from 'zod';
import { RAPIER } from '../core/physics.ts';
import { RandomState } from '../core/numpy-random.ts';
import { Box } from '../core/spaces.ts';
import { EnvInputError, checkFiniteVector, checkSeed, parseEnvOptions } from '../core/errors.ts';
import { cameraOf, isPixelObsType, pixelObs, RenderSize } from '../core/camera.ts';
import type { Env, EnvSpec, Info, Obs, ResetOptions, SceneFrame, StepResult } from '../core/types.ts';
import { bindWorld, buildWorld, fingerOffset, PHYSICS, type BlockStackWorld, type ScenePose } from './world.ts';
import { CUBE_HALF, CUBE_SIZE, CUBES, FINGER, GRIPPER, HOME, LIMITS, PLACE, SPAWN, SPEED } from './geometry.ts';

export const BLOCKSTACK_ID = 'BlockStack-v0';

export const BlockStackOptions = z
  .object({
    /** Which observation `reset`/`step` return (see the spec above). */
    obsType: z.enum(['state', 'pixels', 'pixels_agent_pos']).default('state'),
    /** Side of the square camera image of the pixel observation types. */
    renderSize: RenderSize,
  })
  .strict();
export type BlockStackOptions = z.input<typeof BlockStackOptions>;

export const CONTROL = {
  controlHz: 10,
  /** Physics steps per action. */
  substeps: PHYSICS.simHz / 10,
  maxEpisodeSteps: 400,
} as const;

/** Observation layout (`state`); its first `proprio` numbers (EE pose, width) are `agent_pos` of `pixels_agent_pos`. */
export const OBS = { ee: 0, width: 4, proprio: 5, cubes: 5, cubeStride: 7, dim: 26 } as const;
/** Layout of `getState()` after the observation part. */
export const STATE = { grip: 26, timers: 27, best: 30, snapshotBytes: 31, snapshot: 32 } as const;

const DT = 1 / PHYSICS.simHz;
const ACTION_LOW = [LIMITS.x[0], LIMITS.y[0], LIMITS.z[0], LIMITS.yaw[0], LIMITS.width[0]];
const ACTION_HIGH = [LIMITS.x[1], LIMITS.y[1], LIMITS.z[1], LIMITS.yaw[1], LIMITS.width[1]];
const GRIP_SLACK = GRIPPER.gripForce / GRIPPER.stiffness;

export class BlockStackEnv implements Env {
  readonly spec: EnvSpec;
  private readonly obsType: z.output<typeof BlockStackOptions>['obsType'];
  private sim: BlockStackWorld | null = null;
  private rng: RandomState | null = null;
  private episodeEnded = true;
  private closed = false;
  /** EE pose x, y, z, yaw: the env's own float64 state (the hand in Rapier is its float32 rounding). */
  private readonly ee = new Float64Array(4);
  private readonly target = new Float64Array(5);
  /** Finger opening target (half the width), as the drive carries it. */
  private grip = 0;
  /** Control steps in a row each cube has met the placement condition (capped at PLACE.holdSteps). */
  private readonly timers = new Int32Array(3);
  private best = 0;
  private readonly cubePose = new Float64Array(21);
  private readonly kinPos = { x: 0, y: 0, z: 0 };
  private readonly kinRot = { x: 0, y: 0, z: 0, w: 1 };

  constructor(options: BlockStackOptions = {}) {
    const parsed = parseEnvOptions(BLOCKSTACK_ID, BlockStackOptions, options);
    this.obsType = parsed.obsType;
    const low = new Array<number>(OBS.dim).fill(-Infinity);
    const high = new Array<number>(OBS.dim).fill(Infinity);
    for (let d = 0; d < 4; d++) {
      low[d] = ACTION_LOW[d];
      high[d] = ACTION_HIGH[d];
    }
    for (let i = 0; i < 3; i++) {
      for (let k = 3; k < 7; k++) {
        low[OBS.cubes + OBS.cubeStride * i + k] = -1;
        high[OBS.cubes + OBS.cubeStride * i + k] = 1;
      }
    }
    const dim = { state: OBS.dim, pixels_agent_pos: OBS.proprio, pixels: 0 }[this.obsType];
    this.spec = {
      id: BLOCKSTACK_ID,
      observationSpace: new Box(low.slice(0, dim), high.slice(0, dim), [dim]),
      actionSpace: new Box(ACTION_LOW, ACTION_HIGH, [5]),
      maxEpisodeSteps: CONTROL.maxEpisodeSteps,
      controlHz: CONTROL.controlHz,
      modes: BLOCKSTACK_MODES,
      options: parsed,
      ...cameraOf(this.obsType, parsed.renderSize),
    };
  }

  reset(opts: ResetOptions = {}): { obs: Obs; info: Info } {
    this.assertOpen();
    if (opts === null || typeof opts !== 'object') throw new EnvInputError(BLOCKSTACK_ID, 'reset options', 'an object { seed?, state? }', opts);
    const { seed, state } = opts;
    if (state !== undefined) {
      if ((Array.isArray(state) || ArrayBuffer.isView(state)) && state.length > OBS.dim) this.restore(state);
      else this.placeShort(state);
    } else {
      if (seed !== undefined) {
        if (checkSeed(BLOCKSTACK_ID, seed) >= 2 ** 32) throw new EnvInputError(BLOCKSTACK_ID, 'seed', 'an integer in [0, 2^32) (numpy RandomState seeds)', seed);
        this.rng = new RandomState(seed);
      }
      // Like Gymnasium: an unseeded first reset seeds from entropy; later unseeded resets continue the RNG.
      this.rng ??= new RandomState(Math.floor(Math.random() * 2 ** 32));
      sampleCubes(this.rng, this.cubePose);
      this.place({ ee: [HOME.x, HOME.y, HOME.z, HOME.yaw], width: HOME.width, cubes: this.cubePose });
    }
    this.episodeEnded = false;
    return { obs: this.observe(), info: this.info(this.placedCount()) };
  }

  step(action: ArrayLike<number>): StepResult {
    this.assertOpen();
    if (this.sim === null) throw new Error(`${BLOCKSTACK_ID}: step() called before reset()`);
    if (this.episodeEnded) throw new Error(`${BLOCKSTACK_ID}: step() called after the episode terminated; call reset() first`);
    checkFiniteVector(BLOCKSTACK_ID, 'action', action, 5);
    for (let d = 0; d < 5; d++) this.target[d] = Math.min(ACTION_HIGH[d], Math.max(ACTION_LOW[d], action[d]));
    for (let i = 0; i < CONTROL.substeps; i++) this.physicsStep();
    const nPlaced = this.updatePlacement();
    this.best = Math.max(this.best, nPlaced);
    const terminated = nPlaced >= 2;
    if (terminated) this.episodeEnded = true;
    return { obs: this.observe(), reward: nPlaced / 2, terminated, truncated: false, info: this.info(nPlaced) };
  }

  getState(): number[] {
    this.assertReset();
    const snap = this.sim!.world.takeSnapshot();
    const words = Math.ceil(snap.length / 4);
    const out = this.observeInto(new Array<number>(STATE.snapshot + words).fill(0));
    out[STATE.grip] = this.grip;
    for (let i = 0; i < 3; i++) out[STATE.timers + i] = this.timers[i];
    out[STATE.best] = this.best;
    out[STATE.snapshotBytes] = snap.length;
    const padded = new Uint8Array(words * 4);
    padded.set(snap);
    const view = new DataView(padded.buffer);
    for (let k = 0; k < words; k++) out[STATE.snapshot + k] = view.getUint32(4 * k, true);
    return out;
  }

  frame(): SceneFrame {
    this.assertReset();
    const sim = this.sim!;
    const bodies = [sim.hand, sim.fingers[0], sim.fingers[1], ...sim.cubes];
    const poses = new Float32Array(7 * bodies.length);
    bodies.forEach((b, i) => {
      const t = b.translation();
      const q = b.rotation();
      poses.set([t.x, t.y, t.z, q.x, q.y, q.z, q.w], 7 * i);
    });
    return { names: FRAME_BODIES, poses };
  }

  close(): void {
    this.sim?.world.free();
    this.sim = null;
    this.closed = true;
  }

  /** The Rapier snapshot: bit-level determinism checks (sha256 of it = worldHash). */
  worldSnapshot(): Uint8Array {
    this.assertReset();
    return this.sim!.world.takeSnapshot();
  }

  /** A fresh scene at the given poses, at rest. */
  private place(pose: ScenePose): void {
    const next = buildWorld(RAPIER, pose);
    this.sim?.world.free();
    this.sim = next;
    this.ee.set(pose.ee);
    this.grip = pose.width / 2;
    this.timers.fill(0);
    this.best = 0;
  }

  /** The short form of `reset({ state })`: an observation's poses. */
  private placeShort(state: unknown): void {
    checkFiniteVector(BLOCKSTACK_ID, 'state', state, OBS.dim);
    const s = state as ArrayLike<number>;
    for (let d = 0; d < 5; d++) {
      if (s[d] < ACTION_LOW[d] || s[d] > ACTION_HIGH[d]) {
        throw new EnvInputError(BLOCKSTACK_ID, `state[${d}] (${['EE x', 'EE y', 'EE z', 'EE yaw', 'gripper width'][d]})`, `in [${ACTION_LOW[d]}, ${ACTION_HIGH[d]}]`, s[d]);
      }
    }
    const cubes = new Float64Array(21);
    for (let i = 0; i < 3; i++) {
      const o = OBS.cubes + OBS.cubeStride * i;
      const n = Math.hypot(s[o + 3], s[o + 4], s[o + 5], s[o + 6]);
      if (!(n > 1e-6)) throw new EnvInputError(BLOCKSTACK_ID, `the ${CUBES[i].name} cube's quaternion (state[${o + 3}..${o + 6}])`, 'non-zero', [s[o + 3], s[o + 4], s[o + 5], s[o + 6]]);
      for (let k = 0; k < 3; k++) cubes[7 * i + k] = s[o + k];
      for (let k = 3; k < 7; k++) cubes[7 * i + k] = s[o + k] / n;
    }
    this.place({ ee: [s[0], s[1], s[2], s[3]], width: s[4], cubes });
  }

  /** The full form of `reset({ state })`: restores the snapshot; the env is untouched if anything is off. */
  private restore(state: readonly number[] | ArrayLike<number>): void {
    const s = state as ArrayLike<number>;
    const bytes = s[STATE.snapshotBytes];
    const words = Number.isSafeInteger(bytes) && bytes > 0 ? Math.ceil(bytes / 4) : -1;
    if (s.length < STATE.snapshot || words < 0 || s.length !== STATE.snapshot + words) {
      throw new EnvInputError(BLOCKSTACK_ID, 'state', `${OBS.dim} numbers (an observation) or a getState() array (${STATE.snapshot} + ⌈state[${STATE.snapshotBytes}]/4⌉ numbers)`, state);
    }
    checkFiniteVector(BLOCKSTACK_ID, 'state', state, s.length);
    const timers = [0, 1, 2].map((i) => s[STATE.timers + i]);
    if (!timers.every((t) => Number.isInteger(t) && t >= 0 && t <= PLACE.holdSteps) || ![0, 1, 2].includes(s[STATE.best])) {
      throw new EnvInputError(BLOCKSTACK_ID, `state[${STATE.timers}..${STATE.best}] (placement counters, most placed)`, `integers in [0, ${PLACE.holdSteps}] and one of 0, 1, 2`, [...timers, s[STATE.best]]);
    }
    const padded = new Uint8Array(words * 4);
    const view = new DataView(padded.buffer);
    for (let k = 0; k < words; k++) {
      const w = s[STATE.snapshot + k];
      if (!Number.isInteger(w) || w < 0 || w >= 2 ** 32) throw new EnvInputError(BLOCKSTACK_ID, `state[${STATE.snapshot + k}] (a snapshot word)`, 'an integer in [0, 2^32)', w);
      view.setUint32(4 * k, w, true);
    }
    let world: InstanceType<typeof RAPIER.World>;
    try {
      world = RAPIER.World.restoreSnapshot(padded.subarray(0, bytes));
    } catch (e) {
      throw new EnvInputError(BLOCKSTACK_ID, 'state (snapshot words)', 'a Rapier world snapshot from getState()', `an unreadable snapshot (${(e as Error).message})`);
    }
    const handles = this.sim?.handles ?? buildHandles();
    const next = bindWorld(world, handles);
    const prev = { sim: this.sim, ee: Float64Array.from(this.ee) };
    this.sim = next;
    this.ee.set([s[0], s[1], s[2], s[3]]);
    // The observation part must describe the snapshot: a state edited there would otherwise be ignored.
    const check = this.observeInto(new Array<number>(OBS.dim));
    const t = next.hand.translation();
    const consistent = check.every((v, i) => v === s[i]) && t.x === Math.fround(s[0]) && t.y === Math.fround(s[1]) && t.z === Math.fround(s[2]);
    if (!consistent) {
      world.free();
      this.sim = prev.sim;
      this.ee.set(prev.ee);
      throw new EnvInputError(BLOCKSTACK_ID, `state[0..${OBS.dim - 1}] (the observation part)`, 'the poses in its snapshot (edit the short form to set poses)', Array.from(s).slice(0, OBS.dim));
    }
    prev.sim?.world.free();
    this.grip = s[STATE.grip];
    for (let i = 0; i < 3; i++) this.timers[i] = timers[i];
    this.best = s[STATE.best];
  }

  private physicsStep(): void {
    const sim = this.sim!;
    const ee = this.ee;
    // Half-opening now, measured on the hand's x axis (before the hand moves this step).
    const c = Math.cos(ee[3]);
    const s = Math.sin(ee[3]);
    const pl = sim.fingers[0].translation();
    const pr = sim.fingers[1].translation();
    const half = ((pr.x - pl.x) * c + (pr.y - pl.y) * s - FINGER.thickness) / 2;
    // EE: straight towards the target, at most SPEED.linear·dt per step; yaw likewise.
    const dx = this.target[0] - ee[0];
    const dy = this.target[1] - ee[1];
    const dz = this.target[2] - ee[2];
    const dist = Math.hypot(dx, dy, dz);
    const reach = SPEED.linear * DT;
    if (dist <= reach) {
      ee[0] = this.target[0];
      ee[1] = this.target[1];
      ee[2] = this.target[2];
    } else {
      const f = reach / dist;
      ee[0] += dx * f;
      ee[1] += dy * f;
      ee[2] += dz * f;
    }
    const dyaw = this.target[3] - ee[3];
    const turn = SPEED.yaw * DT;
    ee[3] = Math.abs(dyaw) <= turn ? this.target[3] : ee[3] + Math.sign(dyaw) * turn;
    // Fingers: the opening target follows the command at widthSpeed, within GRIP_SLACK of the opening.
    const goal = this.target[4] / 2;
    const rate = (GRIPPER.widthSpeed / 2) * DT;
    this.grip += Math.min(rate, Math.max(-rate, goal - this.grip));
    this.grip = Math.min(half + GRIP_SLACK, Math.max(half - GRIP_SLACK, this.grip));
    sim.joints[0].configureMotorPosition(fingerOffset(-1, 2 * this.grip), GRIPPER.stiffness, GRIPPER.damping);
    sim.joints[1].configureMotorPosition(fingerOffset(1, 2 * this.grip), GRIPPER.stiffness, GRIPPER.damping);
    this.kinPos.x = ee[0];
    this.kinPos.y = ee[1];
    this.kinPos.z = ee[2];
    this.kinRot.z = Math.sin(ee[3] / 2);
    this.kinRot.w = Math.cos(ee[3] / 2);
    sim.hand.setNextKinematicTranslation(this.kinPos);
    sim.hand.setNextKinematicRotation(this.kinRot);
    sim.world.step();
  }

  /** Advances each cube's placement counter by this control step; returns the number placed. */
  private updatePlacement(): number {
    const sim = this.sim!;
    this.readCubes();
    const p = this.cubePose;
    let placed = 0;
    for (let i = 0; i < 3; i++) {
      let ok = supportOf(p, i) >= 0;
      if (ok) {
        const v = sim.cubes[i].linvel();
        const w = sim.cubes[i].angvel();
        ok = Math.hypot(v.x, v.y, v.z) < PLACE.linSpeed && Math.hypot(w.x, w.y, w.z) < PLACE.angSpeed && !this.touchesFinger(i);
      }
      this.timers[i] = ok ? Math.min(PLACE.holdSteps, this.timers[i] + 1) : 0;
      if (this.timers[i] >= PLACE.holdSteps) placed++;
    }
    return placed;
  }

  /** Cubes placed now (from the counters, without stepping). */
  private placedCount(): number {
    let n = 0;
    for (let i = 0; i < 3; i++) if (this.timers[i] >= PLACE.holdSteps) n++;
    return n;
  }

  /**
   * Whether a finger is within `PLACE.releaseGap` of cube `i`, by a shape query on the current poses
   * (the narrow phase's manifolds report a wrong distance for exactly parallel faces).
   */
  private touchesFinger(i: number): boolean {
    const sim = this.sim!;
    return sim.fingerColliders.some((f) => f.contactCollider(sim.cubeColliders[i], PLACE.releaseGap) !== null);
  }

  private readCubes(): void {
    const sim = this.sim!;
    for (let i = 0; i < 3; i++) {
      const t = sim.cubes[i].translation();
      const q = sim.cubes[i].rotation();
      const sign = q.w < 0 ? -1 : 1;
      this.cubePose.set([t.x, t.y, t.z, sign * q.x, sign * q.y, sign * q.z, sign * q.w], 7 * i);
    }
  }

  /** The `state` observation into `out[0..25]` (float64 values; the EE pose is the env's own). */
  private observeInto<T extends number[] | Float32Array>(out: T): T {
    const sim = this.sim!;
    this.readCubes();
    for (let d = 0; d < 4; d++) out[d] = this.ee[d];
    const pl = sim.fingers[0].translation();
    const pr = sim.fingers[1].translation();
    out[OBS.width] = (pr.x - pl.x) * Math.cos(this.ee[3]) + (pr.y - pl.y) * Math.sin(this.ee[3]) - FINGER.thickness;
    for (let k = 0; k < 21; k++) out[OBS.cubes + k] = this.cubePose[k];
    return out;
  }

  private observe(): Obs {
    const state = this.observeInto(new Float32Array(OBS.dim));
    return isPixelObsType(this.obsType) ? pixelObs(this.obsType, state.slice(0, OBS.proprio)) : state;
  }

  private info(nPlaced: number): Info {
    return { isSuccess: nPlaced >= 2, nPlaced, p1: this.best >= 1, p2: this.best >= 2, tower: this.tower() };
  }

  /** Letters of the placed stack, bottom first ('' when no cube is placed), from the poses last read. */
  private tower(): string {
    const placed = (i: number) => this.timers[i] >= PLACE.holdSteps;
    const support = [0, 1, 2].map((i) => supportOf(this.cubePose, i));
    // The top of the stack: a placed cube on which no placed cube rests.
    const top = [0, 1, 2].find((i) => placed(i) && ![0, 1, 2].some((j) => placed(j) && support[j] === i));
    if (top === undefined) return '';
    let letters: string = CUBES[top].letter;
    for (let i = top; i >= 0 && placed(i); i = support[i]) letters = CUBES[support[i]].letter + letters;
    return letters;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`${BLOCKSTACK_ID}: the env was closed`);
  }

  private assertReset(): void {
    this.assertOpen();
    if (this.sim === null) throw new Error(`${BLOCKSTACK_ID}: call reset() first`);
  }
}

/** Stacking orders, bottom to top, by cube letter: `RGB` = red at the bottom, green on it, blue on top. */
export const BLOCKSTACK_MODES = ['RGB', 'RBG', 'GRB', 'GBR', 'BRG', 'BGR'] as const;
export type BlockStackMode = (typeof BLOCKSTACK_MODES)[number];

/** Body names of `frame()`, in order. */
export const FRAME_BODIES = ['hand', 'finger_left', 'finger_right', ...CUBES.map((c) => c.name)] as const;

/** The cube cube `i` rests on by the placement geometry (centred within 1 cm, 4 cm ± 5 mm above), or −1. */
export function supportOf(poses: ArrayLike<number>, i: number, stride = 7): number {
  for (let j = 0; j < 3; j++) {
    if (j === i) continue;
    const dz = poses[stride * i + 2] - poses[stride * j + 2];
    const dxy = Math.hypot(poses[stride * i] - poses[stride * j], poses[stride * i + 1] - poses[stride * j + 1]);
    if (Math.abs(dz - CUBE_SIZE) <= PLACE.zTol && dxy <= PLACE.xyTol) return j;
  }
  return -1;
}

/** Start poses from `rs` (see the spec's Starting state) into `out` (21 numbers). */
export function sampleCubes(rs: RandomState, out: Float64Array): Float64Array {
  for (let i = 0; i < 3; i++) {
    let x = 0;
    let y = 0;
    for (let tries = 0; ; tries++) {
      // Three centres 9 cm apart always fit in a 24 cm square; this only guards against a broken RNG.
      if (tries === 10_000) throw new Error(`${BLOCKSTACK_ID}: no start position for cube ${i} after ${tries} draws`);
      x = rs.uniform(-SPAWN.half, SPAWN.half);
      y = rs.uniform(-SPAWN.half, SPAWN.half);
      let clear = true;
      for (let j = 0; j < i; j++) if (Math.hypot(x - out[7 * j], y - out[7 * j + 1]) < SPAWN.minDistance) clear = false;
      if (clear) break;
    }
    const yaw = rs.uniform(-Math.PI / 4, Math.PI / 4);
    out.set([x, y, CUBE_HALF, 0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)], 7 * i);
  }
  return out;
}

let handleCache: BlockStackWorld['handles'] | null = null;
/** Handles of a built scene: the same for every scene (objects are created in a fixed order). */
function buildHandles(): BlockStackWorld['handles'] {
  if (handleCache) return handleCache;
  const probe = buildWorld(RAPIER, { ee: [HOME.x, HOME.y, HOME.z, HOME.yaw], width: HOME.width, cubes: sampleCubes(new RandomState(0), new Float64Array(21)) });
  handleCache = probe.handles;
  probe.world.free();
  return handleCache;
}
