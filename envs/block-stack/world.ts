/**
 * The BlockStack physics scene as a pure function (rapier.js testbed style): `buildWorld(RAPIER, pose)`
 * returns a Rapier world and its bodies, and knows nothing of rewards, RNGs or rendering.
 *
 * - table: a fixed box, top face at z = 0;
 * - cubes: three dynamic 4 cm boxes of 100 g;
 * - hand: a kinematic (position-based) body at the EE pose, carrying the palm; the env moves it;
 * - fingers: two dynamic boxes on prismatic joints along the hand's x axis, each pulled towards its
 *   opening target by a joint position motor (a spring): they hold a cube only by contact and friction.
 *
 * Contacts are stiffer than Rapier's default (natural frequency 100 Hz instead of 30 Hz): at 30 Hz a
 * 10 N squeeze between two light bodies sinks the fingers 5 mm into the cube. Collision groups keep the
 * fingers from touching each other and the palm (the jaws meet when fully closed).
 */
import type { Rapier } from '../core/physics.ts';
import { CUBE_HALF, CUBE_MASS, CUBE_SIZE, FINGER, FRICTION, GRIPPER, PALM, TABLE } from './geometry.ts';

type World = InstanceType<Rapier['World']>;
type RigidBody = ReturnType<World['createRigidBody']>;
type Collider = ReturnType<World['createCollider']>;
type PrismaticJoint = InstanceType<Rapier['PrismaticImpulseJoint']>;

export const PHYSICS = {
  /** Physics rate (Hz): 10 steps of 10 ms per 10 Hz control step. */
  simHz: 100,
  gravity: -9.81,
  /** Rapier's TGS-soft substeps per physics step (its default). */
  solverIterations: 4,
  contactNaturalFrequency: 100,
  /**
   * Rapier's tolerances scale with this typical object size (m): prediction distance 0.02 and allowed
   * penetration 0.005 times it. The default of 1 m would let contacts act 2 cm before they touch (a
   * finger passing a cube 1.2 cm away shoved it) and tolerate 5 mm of penetration, half the placement
   * tolerance; at 10 cm they are 2 mm and 0.5 mm.
   */
  lengthUnit: 0.1,
} as const;

/** What a scene is built from: the EE pose, the finger opening, and each cube's pose. */
export interface ScenePose {
  /** EE x, y, z, yaw. */
  ee: readonly [number, number, number, number];
  /** Gap between the finger pads (m). */
  width: number;
  /** Per cube x, y, z, qx, qy, qz, qw (unit quaternion), in `CUBES` order: 21 numbers. */
  cubes: ArrayLike<number>;
}

/** Handles of the scene's objects: stable across `takeSnapshot` / `World.restoreSnapshot`. */
export interface SceneHandles {
  hand: number;
  fingers: [number, number];
  joints: [number, number];
  cubes: [number, number, number];
  fingerColliders: [number, number];
  cubeColliders: [number, number, number];
}

export interface BlockStackWorld {
  world: World;
  handles: SceneHandles;
  hand: RigidBody;
  /** Left (−x in the hand frame) and right finger. */
  fingers: [RigidBody, RigidBody];
  joints: [PrismaticJoint, PrismaticJoint];
  cubes: [RigidBody, RigidBody, RigidBody];
  fingerColliders: [Collider, Collider];
  cubeColliders: [Collider, Collider, Collider];
}

// Collision groups: membership in the high 16 bits, filter in the low 16 bits.
const G_TABLE = 1;
const G_CUBE = 2;
const G_GRIPPER = 4;
const groups = (member: number, filter: number) => ((member << 16) | filter) >>> 0;

/** Signed joint coordinate of finger `side` (−1 left, +1 right) at opening `width`: the finger's centre on the hand's x axis. */
export function fingerOffset(side: -1 | 1, width: number): number {
  return side * (width / 2 + FINGER.thickness / 2);
}

export function buildWorld(R: Rapier, pose: ScenePose): BlockStackWorld {
  const world = new R.World({ x: 0, y: 0, z: PHYSICS.gravity });
  const params = world.integrationParameters;
  params.dt = 1 / PHYSICS.simHz;
  params.numSolverIterations = PHYSICS.solverIterations;
  params.contact_natural_frequency = PHYSICS.contactNaturalFrequency;
  params.lengthUnit = PHYSICS.lengthUnit;

  const table = world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(0, 0, -TABLE.thickness / 2));
  world.createCollider(
    R.ColliderDesc.cuboid(TABLE.halfX, TABLE.halfY, TABLE.thickness / 2).setFriction(FRICTION.table).setCollisionGroups(groups(G_TABLE, G_CUBE | G_GRIPPER)),
    table,
  );

  const cubes: RigidBody[] = [];
  const cubeColliders: Collider[] = [];
  for (let i = 0; i < 3; i++) {
    const o = 7 * i;
    const c = pose.cubes;
    const body = world.createRigidBody(
      R.RigidBodyDesc.dynamic()
        .setTranslation(c[o], c[o + 1], c[o + 2])
        .setRotation({ x: c[o + 3], y: c[o + 4], z: c[o + 5], w: c[o + 6] })
        .setCanSleep(false),
    );
    cubes.push(body);
    cubeColliders.push(
      world.createCollider(
        R.ColliderDesc.cuboid(CUBE_HALF, CUBE_HALF, CUBE_HALF)
          .setDensity(CUBE_MASS / CUBE_SIZE ** 3)
          .setFriction(FRICTION.cube)
          .setCollisionGroups(groups(G_CUBE, G_TABLE | G_CUBE | G_GRIPPER)),
        body,
      ),
    );
  }

  const [ex, ey, ez, yaw] = pose.ee;
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  const rot = { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) };
  const hand = world.createRigidBody(R.RigidBodyDesc.kinematicPositionBased().setTranslation(ex, ey, ez).setRotation(rot));
  world.createCollider(
    R.ColliderDesc.cuboid(...PALM.halfExtents).setTranslation(0, 0, PALM.centreZ).setCollisionGroups(groups(G_GRIPPER, G_CUBE)),
    hand,
  );

  const fingers: RigidBody[] = [];
  const fingerColliders: Collider[] = [];
  const joints: PrismaticJoint[] = [];
  for (const side of [-1, 1] as const) {
    const off = fingerOffset(side, pose.width);
    const body = world.createRigidBody(
      R.RigidBodyDesc.dynamic()
        .setTranslation(ex + c * off, ey + s * off, ez + FINGER.centreZ)
        .setRotation(rot)
        .setCanSleep(false),
    );
    fingers.push(body);
    fingerColliders.push(
      world.createCollider(
        R.ColliderDesc.cuboid(FINGER.thickness / 2, FINGER.width / 2, FINGER.length / 2)
          .setDensity(FINGER.mass / (FINGER.thickness * FINGER.width * FINGER.length))
          .setFriction(FRICTION.finger)
          .setCollisionGroups(groups(G_GRIPPER, G_TABLE | G_CUBE)),
        body,
      ),
    );
    const data = R.JointData.prismatic({ x: 0, y: 0, z: FINGER.centreZ }, { x: 0, y: 0, z: 0 }, { x: 1, y: 0, z: 0 });
    data.limitsEnabled = true;
    const a = fingerOffset(side, 0);
    const b = fingerOffset(side, GRIPPER.maxWidth);
    data.limits = [Math.min(a, b), Math.max(a, b)];
    const joint = world.createImpulseJoint(data, hand, body, true) as PrismaticJoint;
    joint.setContactsEnabled(false);
    joint.configureMotorModel(R.MotorModel.ForceBased);
    joint.configureMotorPosition(off, GRIPPER.stiffness, GRIPPER.damping);
    joints.push(joint);
  }

  const handles: SceneHandles = {
    hand: hand.handle,
    fingers: [fingers[0].handle, fingers[1].handle],
    joints: [joints[0].handle, joints[1].handle],
    cubes: [cubes[0].handle, cubes[1].handle, cubes[2].handle],
    fingerColliders: [fingerColliders[0].handle, fingerColliders[1].handle],
    cubeColliders: [cubeColliders[0].handle, cubeColliders[1].handle, cubeColliders[2].handle],
  };
  return bindWorld(world, handles);
}

/** The scene's objects in `world` (a built world, or one restored from its snapshot) by their handles. */
export function bindWorld(world: World, handles: SceneHandles): BlockStackWorld {
  const body = (h: number) => world.getRigidBody(h);
  const collider = (h: number) => world.getCollider(h);
  return {
    world,
    handles,
    hand: body(handles.hand),
    fingers: [body(handles.fingers[0]), body(handles.fingers[1])],
    joints: [world.getImpulseJoint(handles.joints[0]) as PrismaticJoint, world.getImpulseJoint(handles.joints[1]) as PrismaticJoint],
    cubes: [body(handles.cubes[0]), body(handles.cubes[1]), body(handles.cubes[2])],
    fingerColliders: [collider(handles.fingerColliders[0]), collider(handles.fingerColliders[1])],
    cubeColliders: [collider(handles.cubeColliders[0]), collider(handles.cubeColliders[1]), collider(handles.cubeColliders[2])],
  };
}
