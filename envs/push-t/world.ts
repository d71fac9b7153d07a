/**
 * The Push-T physics scene as a pure function (rapier.js testbed style): `buildWorld(RAPIER)` returns a
 * Rapier world and its bodies, and knows nothing of rendering, rewards or RNGs.
 *
 * The original is a 2-D pymunk/Chipmunk world (diffusion_policy env/pusht/pusht_env.py `_setup`); here it
 * is a Rapier 3-D world used as a plane: everything lies in z = 0 and the T may only translate in x, y and
 * rotate about z. Units are the original's pixels, y pointing down (the rotation R(θ) = [[c,-s],[s,c]] is
 * the same in both). What the original does and how it is reproduced:
 * - walls: 4 static segments of radius 2 → capsules of radius 2 on the same segments;
 * - agent: a kinematic disc of radius 15 → a kinematic (position-based) ball of radius 15 in z = 0; the env
 *   integrates the PD law in float64 and hands Rapier the next position;
 * - T: two boxes (bar 120×30, stem 30×90), mass 1, moment of inertia 3000 (the original's copy-paste
 *   `inertia1 + inertia2`, both from the bar), centre of gravity (0, 45) local;
 * - contacts: frictionless, no restitution (pymunk's `body.friction = 1` has no effect: friction is a
 *   shape property and shapes keep Chipmunk's default 0);
 * - space damping 0 makes the T quasi-static: Chipmunk multiplies velocities by damping^dt = 0 each step,
 *   so only the contact impulses of the current step move it; the env zeroes the T's velocity before
 *   every physics step to the same effect.
 */
import type { Rapier } from '../core/physics.ts';
import { T_BAR_LOCAL, T_STEM_LOCAL, T_COG_LOCAL } from './geometry.ts';

type World = InstanceType<Rapier['World']>;
type RigidBody = ReturnType<World['createRigidBody']>;
type Collider = ReturnType<World['createCollider']>;

/** Physics constants of the original (pusht_env.py). */
export const PHYSICS = {
  /** Physics rate (Hz): dt = 0.01 s. */
  simHz: 100,
  /** Wall segments (x0, y0, x1, y1), radius 2. */
  walls: [
    [5, 506, 5, 5],
    [5, 5, 506, 5],
    [506, 5, 506, 506],
    [5, 506, 506, 506],
  ] as const,
  wallRadius: 2,
  agentRadius: 15,
  blockMass: 1,
  /** Moment of inertia about the centre of gravity (the original's value, see header). */
  blockInertia: 3000,
  /** Half thickness of the extruded shapes along z; any value > 0 gives the same planar contacts. */
  halfThickness: 20,
} as const;

export interface PushTWorld {
  world: World;
  agent: RigidBody;
  block: RigidBody;
  blockColliders: Collider[];
}

/**
 * Builds the scene with the agent at `agent` and the T's body origin at `block` (x, y, angle). The env
 * rebuilds it every control step, so the body and collider descriptions are made once per Rapier module
 * and reused.
 */
export function buildWorld(R: Rapier, agent: readonly [number, number], block: readonly [number, number, number]): PushTWorld {
  const d = descriptions(R);
  const world = new R.World(ZERO);
  const params = world.integrationParameters;
  params.dt = 1 / PHYSICS.simHz;
  // Rapier's default: 4 TGS-soft iterations (substeps). Chipmunk runs 10 PGS iterations; 10 TGS iterations
  // were measured here at 70-80% of the control-step rate with no visible change in how the T is pushed.
  params.numSolverIterations = 4;
  // Lengths are pixels: scale Rapier's metre-based tolerances so the allowed penetration is 0.1 px,
  // Chipmunk's collisionSlop.
  params.lengthUnit = 100;

  const walls = world.createRigidBody(d.walls);
  for (const c of d.wallColliders) world.createCollider(c, walls);

  d.agent.setTranslation(agent[0], agent[1], 0);
  const agentBody = world.createRigidBody(d.agent);
  world.createCollider(d.agentCollider, agentBody);

  const [bx, by, ba] = block;
  d.block.setTranslation(bx, by, 0).setRotation({ x: 0, y: 0, z: Math.sin(ba / 2), w: Math.cos(ba / 2) });
  const blockBody = world.createRigidBody(d.block);
  const blockColliders = d.blockColliders.map((c) => world.createCollider(c, blockBody));
  return { world, agent: agentBody, block: blockBody, blockColliders };
}

const ZERO = { x: 0, y: 0, z: 0 };

type Descriptions = {
  walls: InstanceType<Rapier['RigidBodyDesc']>;
  wallColliders: InstanceType<Rapier['ColliderDesc']>[];
  agent: InstanceType<Rapier['RigidBodyDesc']>;
  agentCollider: InstanceType<Rapier['ColliderDesc']>;
  block: InstanceType<Rapier['RigidBodyDesc']>;
  blockColliders: InstanceType<Rapier['ColliderDesc']>[];
};
const cache = new WeakMap<Rapier, Descriptions>();

function descriptions(R: Rapier): Descriptions {
  const hit = cache.get(R);
  if (hit) return hit;
  const hz = PHYSICS.halfThickness;
  const wallColliders = PHYSICS.walls.map(([x0, y0, x1, y1]) => {
    const len = Math.hypot(x1 - x0, y1 - y0);
    const angle = Math.atan2(y1 - y0, x1 - x0) - Math.PI / 2; // capsules lie along local y
    const desc = R.ColliderDesc.capsule(len / 2, PHYSICS.wallRadius)
      .setTranslation((x0 + x1) / 2, (y0 + y1) / 2, 0)
      .setRotation({ x: 0, y: 0, z: Math.sin(angle / 2), w: Math.cos(angle / 2) });
    return frictionless(R, desc);
  });
  const block = R.RigidBodyDesc.dynamic()
    .enabledTranslations(true, true, false)
    .enabledRotations(false, false, true)
    .setCanSleep(false)
    .setLinearDamping(0)
    .setAngularDamping(0)
    .setAdditionalMassProperties(
      PHYSICS.blockMass,
      { x: T_COG_LOCAL[0], y: T_COG_LOCAL[1], z: 0 },
      { x: PHYSICS.blockInertia, y: PHYSICS.blockInertia, z: PHYSICS.blockInertia },
      { x: 0, y: 0, z: 0, w: 1 },
    );
  const blockColliders = [T_BAR_LOCAL, T_STEM_LOCAL].map((verts) => {
    const xs = verts.map((v) => v[0]);
    const ys = verts.map((v) => v[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const desc = R.ColliderDesc.cuboid((x1 - x0) / 2, (y1 - y0) / 2, hz)
      .setTranslation((x0 + x1) / 2, (y0 + y1) / 2, 0)
      .setDensity(0); // mass comes from the additional mass properties above
    return frictionless(R, desc);
  });
  const d: Descriptions = {
    walls: R.RigidBodyDesc.fixed(),
    wallColliders,
    agent: R.RigidBodyDesc.kinematicPositionBased(),
    agentCollider: frictionless(R, R.ColliderDesc.ball(PHYSICS.agentRadius)),
    block,
    blockColliders,
  };
  cache.set(R, d);
  return d;
}

function frictionless(R: Rapier, desc: InstanceType<Rapier['ColliderDesc']>) {
  return desc
    .setFriction(0)
    .setFrictionCombineRule(R.CoefficientCombineRule.Min)
    .setRestitution(0)
    .setRestitutionCombineRule(R.CoefficientCombineRule.Min);
}
