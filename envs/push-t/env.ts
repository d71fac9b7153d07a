/**
 * PushT-v0 — planar pushing of a T-shaped block onto a fixed goal pose (Chi et al., RSS 2023, sim Push-T;
 * reference env: diffusion_policy env/pusht/pusht_env.py and huggingface gym-pusht, which agree).
 *
 * ## Description
 * A kinematic disc (the agent, radius 15) pushes a T (bar 120×30 + stem 30×90, mass 1) on a frictionless
 * 512×512 table with four walls. The goal T lies at (256, 256, π/4). Units are pixels, y points down.
 * The T is quasi-static, as in the original (zero space damping): it moves only while pushed.
 *
 * ## Action space
 * `Box(0, 512, (2,), float32)`: the absolute target position of the agent. Each action is held for 10
 * physics steps of 10 ms (10 Hz control); in each, a critically damped PD law (k_p 100, k_v 20) updates
 * the agent's velocity, v += (k_p·(target − p) − k_v·v)·dt, then the world steps and p += v·dt. Actions
 * outside [0, 512]² are clipped, as the original's Box would; NaN, ±Infinity or a wrong length are errors.
 *
 * ## Observation spaces (`obsType`)
 * - `state` (default): [agent x, agent y, block x, block y, block angle mod 2π] (float32, 5). The block
 *   position is the T's body origin (the middle of the bar's outer edge), not its centre of gravity.
 * - `keypoints`: the 8 corners of the T's two boxes in gym-pusht's order (16) + agent position (2).
 * - `pixels_agent_pos` (the original's image task): `{ pixels, agent_pos }`, a top-down view of the whole
 *   workspace (uint8 H × W × 3, `renderSize` × `renderSize`, default 96, drawn as the original draws it:
 *   scene.ts) and the agent position (float32, 2); `pixels`: the image alone. The env returns `agent_pos`
 *   (or nothing); the harness renders `pixels` from `frame()` for all envs of a rollout in one batch
 *   (`spec.pixels`, src/render/pixels.ts).
 *
 * ## Reward
 * coverage = area(goal T ∩ block T) / area(goal T), exact (polygon clipping); reward = clip(coverage/0.95, 0, 1).
 * `info`: `coverage`, `isSuccess` (coverage > 0.95), `nContacts` (contact points per physics step, rounded
 * up, as the original's `n_contacts`).
 *
 * ## Starting state
 * `reset({ seed })` draws, from numpy's legacy `RandomState(seed)`, agent x, y = randint(50, 450), block
 * x, y = randint(100, 400), angle = randn()·2π − π, applies them in the original's legacy order (block
 * origin placed at (x, y), then rotated about its centre of gravity (0, 45)), so seed s gives the original
 * env's start for seed s (test seeds 100000+, demo seeds 0+).
 * `reset({ state })` sets [agent x, agent y, block origin x, block origin y, angle] exactly, optionally
 * followed by the agent velocity vx, vy, as `getState()` returns it (7 numbers; 5 means at rest).
 *
 * ## Episode end
 * Terminated when coverage > 0.95; truncated after 300 steps (by `makeEnv`'s TimeLimit). Stepping an
 * ended episode is an error.
 *
 * ## Version history
 * - v0: first version; physics on Rapier (deterministic build) emulating the original Chipmunk world.
 */
import { z } from 'zod';
import { RAPIER } from '../core/physics.ts';
import { RandomState } from '../core/numpy-random.ts';
import { Box } from '../core/spaces.ts';
import { EnvInputError, checkFiniteVector, checkSeed, parseEnvOptions } from '../core/errors.ts';
import { cameraOf, isPixelObsType, pixelObs, RenderSize } from '../core/camera.ts';
import type { Env, EnvSpec, Info, Obs, ResetOptions, SceneFrame, StepResult } from '../core/types.ts';
import { buildWorld, PHYSICS, type PushTWorld } from './world.ts';
import { coverage as coverageOf, isSuccess, legacyOrigin, rewardFromCoverage, tVerticesWorld } from './geometry.ts';

export const PUSHT_ID = 'PushT-v0';

export const PushTOptions = z
  .object({
    /** Which observation `reset`/`step` return (see the spec above). */
    obsType: z.enum(['state', 'keypoints', 'pixels', 'pixels_agent_pos']).default('state'),
    /** Side of the square camera image of the pixel observation types (the original's render_size). */
    renderSize: RenderSize,
  })
  .strict();
export type PushTOptions = z.input<typeof PushTOptions>;

/** Control constants of the original (pusht_env.py). */
export const CONTROL = {
  controlHz: 10,
  /** Physics steps per action: sim_hz / control_hz. */
  substeps: PHYSICS.simHz / 10,
  kp: 100,
  kv: 20,
  maxEpisodeSteps: 300,
  workspace: 512,
} as const;

const TWO_PI = 2 * Math.PI;
const DT = 1 / PHYSICS.simHz;

export class PushTEnv implements Env {
  readonly spec: EnvSpec;
  private readonly obsType: z.output<typeof PushTOptions>['obsType'];
  private sim: PushTWorld | null = null;
  private rng: RandomState | null = null;
  private episodeEnded = true;
  private closed = false;
  // Canonical float64 state. The agent is integrated here (the PD law is the env's, not the engine's);
  // the block pose mirrors Rapier's float32 pose and keeps the exact value last set until Rapier moves it.
  private readonly agentPos = new Float64Array(2);
  private readonly agentVel = new Float64Array(2);
  private readonly blockPose = new Float64Array(3);
  private readonly rapierPose = new Float32Array(4); // x, y, qz, qw as last seen in / written to Rapier
  private readonly target = new Float64Array(2);
  private readonly kin = { x: 0, y: 0, z: 0 };
  private readonly zero = { x: 0, y: 0, z: 0 };
  private readonly verts = new Float64Array(16);
  private readonly origin = new Float64Array(2);
  private contactPoints = 0;

  constructor(options: PushTOptions = {}) {
    const parsed = parseEnvOptions(PUSHT_ID, PushTOptions, options);
    this.obsType = parsed.obsType;
    const obsDim = { state: 5, keypoints: 18, pixels: 0, pixels_agent_pos: 2 }[this.obsType];
    const obsHigh = this.obsType === 'state' ? [CONTROL.workspace, CONTROL.workspace, CONTROL.workspace, CONTROL.workspace, TWO_PI] : CONTROL.workspace;
    const bounded = this.obsType !== 'keypoints'; // T corners may stick out of the workspace
    this.spec = {
      id: PUSHT_ID,
      observationSpace: new Box(bounded ? 0 : -Infinity, bounded ? obsHigh : Infinity, [obsDim]),
      actionSpace: new Box(0, CONTROL.workspace, [2]),
      maxEpisodeSteps: CONTROL.maxEpisodeSteps,
      controlHz: CONTROL.controlHz,
      modes: [],
      options: parsed,
      ...cameraOf(this.obsType, parsed.renderSize),
    };
  }

  reset(opts: ResetOptions = {}): { obs: Obs; info: Info } {
    this.assertOpen();
    if (opts === null || typeof opts !== 'object') throw new EnvInputError(PUSHT_ID, 'reset options', 'an object { seed?, state? }', opts);
    const { seed, state } = opts;
    if (state !== undefined) {
      checkFiniteVector(PUSHT_ID, 'state', state, [5, 7]);
      this.place(state[0], state[1], state[2], state[3], state[4], state.length === 7 ? state[5] : 0, state.length === 7 ? state[6] : 0);
    } else {
      if (seed !== undefined) {
        // numpy's RandomState takes seeds in [0, 2^32): larger ones would not reproduce the original.
        if (checkSeed(PUSHT_ID, seed) >= 2 ** 32) throw new EnvInputError(PUSHT_ID, 'seed', 'an integer in [0, 2^32) (numpy RandomState seeds)', seed);
        this.rng = new RandomState(seed);
      }
      // Like Gymnasium: an unseeded first reset seeds from entropy; later unseeded resets continue the RNG.
      this.rng ??= new RandomState(Math.floor(Math.random() * 2 ** 32));
      const rs = this.rng;
      const ax = rs.randint(50, 450);
      const ay = rs.randint(50, 450);
      const bx = rs.randint(100, 400);
      const by = rs.randint(100, 400);
      const angle = rs.randn() * 2 * Math.PI - Math.PI;
      legacyOrigin(bx, by, angle, this.origin);
      // The original ends `_set_state` with one `space.step`, which moves nothing: Chipmunk integrates
      // positions (with zero velocities here) before it detects and solves contacts, so a T placed over a
      // wall or the agent is only pushed out during the first control step, as it is here.
      this.place(ax, ay, this.origin[0], this.origin[1], angle, 0, 0);
    }
    this.episodeEnded = false;
    const cov = this.coverage();
    return { obs: this.observe(), info: this.info(cov, 0) };
  }

  step(action: ArrayLike<number>): StepResult {
    this.assertOpen();
    if (this.sim === null) throw new Error(`${PUSHT_ID}: step() called before reset()`);
    if (this.episodeEnded) throw new Error(`${PUSHT_ID}: step() called after the episode terminated; call reset() first`);
    checkFiniteVector(PUSHT_ID, 'action', action, 2);
    this.target[0] = Math.min(CONTROL.workspace, Math.max(0, action[0]));
    this.target[1] = Math.min(CONTROL.workspace, Math.max(0, action[1]));
    // Every control step starts from a world built afresh from the canonical state, so the next state is
    // a function of (getState(), action) alone: Rapier's solver caches (warm-start impulses, contact
    // manifolds) do not carry over, and reset({ state: getState() }) replays an episode bit for bit.
    this.place(this.agentPos[0], this.agentPos[1], this.blockPose[0], this.blockPose[1], this.blockPose[2], this.agentVel[0], this.agentVel[1]);
    this.contactPoints = 0;
    for (let i = 0; i < CONTROL.substeps; i++) {
      for (let d = 0; d < 2; d++) {
        const acc = CONTROL.kp * (this.target[d] - this.agentPos[d]) + CONTROL.kv * (0 - this.agentVel[d]);
        this.agentVel[d] += acc * DT;
        this.agentPos[d] += this.agentVel[d] * DT;
      }
      this.physicsStep();
      this.contactPoints += this.countContacts();
    }
    this.syncBlockPose();
    const cov = this.coverage();
    const terminated = isSuccess(cov);
    if (terminated) this.episodeEnded = true;
    return {
      obs: this.observe(),
      reward: rewardFromCoverage(cov),
      terminated,
      truncated: false,
      info: this.info(cov, Math.ceil(this.contactPoints / CONTROL.substeps)),
    };
  }

  getState(): number[] {
    this.assertReset();
    return [this.agentPos[0], this.agentPos[1], this.blockPose[0], this.blockPose[1], this.blockPose[2], this.agentVel[0], this.agentVel[1]];
  }

  frame(): SceneFrame {
    this.assertReset();
    const [bx, by, ba] = this.blockPose;
    const poses = new Float32Array([this.agentPos[0], this.agentPos[1], 0, 0, 0, 0, 1, bx, by, 0, 0, 0, Math.sin(ba / 2), Math.cos(ba / 2)]);
    return { names: ['agent', 'block'], poses };
  }

  close(): void {
    this.sim?.world.free();
    this.sim = null;
    this.closed = true;
  }

  /** The current coverage of the goal by the block. */
  coverage(): number {
    this.assertReset();
    return coverageOf(this.blockPose[0], this.blockPose[1], this.blockPose[2]);
  }

  /** sha256 of the Rapier snapshot: bit-level determinism checks. */
  worldSnapshot(): Uint8Array {
    this.assertReset();
    return this.sim!.world.takeSnapshot();
  }

  /** Rebuilds the world with the given state (exact, no extra physics step). */
  private place(ax: number, ay: number, bx: number, by: number, angle: number, vx: number, vy: number): void {
    this.sim?.world.free();
    this.sim = buildWorld(RAPIER, [ax, ay], [bx, by, angle]);
    this.agentPos[0] = ax;
    this.agentPos[1] = ay;
    this.agentVel[0] = vx;
    this.agentVel[1] = vy;
    this.blockPose[0] = bx;
    this.blockPose[1] = by;
    this.blockPose[2] = angle;
    const t = this.sim.block.translation();
    const q = this.sim.block.rotation();
    this.rapierPose[0] = t.x;
    this.rapierPose[1] = t.y;
    this.rapierPose[2] = q.z;
    this.rapierPose[3] = q.w;
  }

  private physicsStep(): void {
    const sim = this.sim!;
    this.kin.x = this.agentPos[0];
    this.kin.y = this.agentPos[1];
    sim.agent.setNextKinematicTranslation(this.kin);
    // Quasi-static T (damping 0 in the original): only this step's contact impulses move it.
    sim.block.setLinvel(this.zero, false);
    sim.block.setAngvel(this.zero, false);
    sim.world.step();
  }

  /** Contact points touching the T this physics step (the original counts them in a post-solve handler). */
  private countContacts(): number {
    this.touching = 0;
    for (const c of this.sim!.blockColliders) {
      this.countingCollider = c;
      this.sim!.world.contactPairsWith(c, this.onPair);
    }
    return this.touching;
  }

  // Callbacks made once: the physics loop allocates nothing.
  private touching = 0;
  private countingCollider: PushTWorld['blockColliders'][number] | null = null;
  private readonly onManifold = (m: { numContacts(): number; contactDist(i: number): number }): void => {
    for (let i = 0; i < m.numContacts(); i++) if (m.contactDist(i) <= 0) this.touching++;
  };
  private readonly onPair = (other: PushTWorld['blockColliders'][number]): void => {
    const sim = this.sim!;
    if (other.parent() === sim.block) return;
    sim.world.contactPair(this.countingCollider!, other, this.onManifold);
  };

  /** Mirrors Rapier's block pose into the float64 pose when (and only when) Rapier moved the block. */
  private syncBlockPose(): void {
    const body = this.sim!.block;
    const t = body.translation();
    const q = body.rotation();
    const p = this.rapierPose;
    if (t.x === p[0] && t.y === p[1] && q.z === p[2] && q.w === p[3]) return;
    p[0] = t.x;
    p[1] = t.y;
    p[2] = q.z;
    p[3] = q.w;
    this.blockPose[0] = t.x;
    this.blockPose[1] = t.y;
    // Rotation is about z only; keep the angle continuous (pymunk's angle is not wrapped either).
    const raw = 2 * Math.atan2(q.z, q.w);
    const prev = this.blockPose[2];
    this.blockPose[2] = prev + wrapToPi(raw - prev);
  }

  private observe(): Obs {
    if (isPixelObsType(this.obsType)) return pixelObs(this.obsType, Float32Array.of(this.agentPos[0], this.agentPos[1]));
    const [bx, by, ba] = this.blockPose;
    if (this.obsType === 'state') {
      return Float32Array.of(this.agentPos[0], this.agentPos[1], bx, by, mod2pi(ba));
    }
    const out = new Float32Array(18);
    tVerticesWorld(bx, by, ba, this.verts);
    out.set(this.verts);
    out[16] = this.agentPos[0];
    out[17] = this.agentPos[1];
    return out;
  }

  private info(cov: number, nContacts: number): Info {
    return { isSuccess: isSuccess(cov), coverage: cov, nContacts };
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`${PUSHT_ID}: the env was closed`);
  }

  private assertReset(): void {
    this.assertOpen();
    if (this.sim === null) throw new Error(`${PUSHT_ID}: call reset() first`);
  }
}


function mod2pi(a: number): number {
  const m = a % TWO_PI;
  return m < 0 ? m + TWO_PI : m;
}

function wrapToPi(a: number): number {
  return a - TWO_PI * Math.round(a / TWO_PI);
}
