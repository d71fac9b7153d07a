/**
 * BlockStack-v0 geometry, masses, materials and limits. SI units (metres, kilograms, seconds, radians),
 * z up, the table top at z = 0, the workspace centred on the origin. Pure data and small pose helpers.
 */

/** The three cubes, in observation order. Letters name stacking orders (`RGB` = red at the bottom). */
export const CUBES = [
  { name: 'red', letter: 'R', color: '#d62728' },
  { name: 'green', letter: 'G', color: '#2ca02c' },
  { name: 'blue', letter: 'B', color: '#1f77b4' },
] as const;

/** Cube edge (m) and mass (kg): 4 cm, 100 g (the issue; Ravens' and ManiSkill's blocks are 4 cm too). */
export const CUBE_SIZE = 0.04;
export const CUBE_HALF = CUBE_SIZE / 2;
export const CUBE_MASS = 0.1;

/** The table: a fixed slab whose top face is z = 0, far wider than the gripper's reach. */
export const TABLE = { halfX: 0.4, halfY: 0.4, thickness: 0.05 } as const;

/**
 * The parallel-jaw gripper. The end-effector (EE) point is the hand body's origin: the middle of the gap
 * between the two finger pads, 2 cm above the fingertips. Each finger is a box (thickness along the
 * hand's x axis, width along y, length along z) whose inner face is width/2 from the EE point; the palm
 * sits above the fingers. A cube grasped at EE z = 2.2 cm is held over 3.8 cm of its 4 cm height with
 * 2.2 cm between its top and the palm.
 */
export const FINGER = {
  thickness: 0.01,
  width: 0.02,
  length: 0.06,
  /** Height of the finger box's centre above the EE point: the box spans EE z − 2 cm … EE z + 4 cm. */
  centreZ: 0.01,
  mass: 0.05,
} as const;
export const PALM = { halfExtents: [0.055, 0.015, 0.01] as const, centreZ: 0.05 } as const;

/**
 * Finger drive: both fingers follow one opening target g (half the width) through a spring of stiffness
 * `stiffness` each (a joint position motor), and g is kept within `gripForce / stiffness` of the actual
 * half-opening: a force-limited, centring gripper (one drive moves both jaws, as a rack and pinion does),
 * so a closed gripper squeezes a cube with `gripForce` per finger whatever the command below the cube's
 * width. 10 N at a friction coefficient of 1 holds 2 kg against gravity: a 100 g cube does not slip.
 */
export const GRIPPER = {
  maxWidth: 0.08,
  gripForce: 10,
  stiffness: 2000,
  /** Critical damping of one finger on its spring: 2·√(k·m). */
  damping: 2 * Math.sqrt(2000 * 0.05),
  /** Rate (m/s) at which the commanded width is followed. */
  widthSpeed: 0.2,
} as const;

/** Coulomb friction coefficients; contacts use the average of the two (Rapier's default rule). */
export const FRICTION = { table: 0.6, cube: 0.6, finger: 1.4 } as const;

/** Action bounds: EE target x, y, z, yaw and gripper width. Targets outside are clipped. */
export const LIMITS = {
  x: [-0.2, 0.2],
  y: [-0.2, 0.2],
  /** At z = 0.02 the fingertips touch the table. */
  z: [0.02, 0.3],
  /** The gripper is symmetric under a half turn and the cubes under a quarter turn: ±90° reaches every grasp. */
  yaw: [-Math.PI / 2, Math.PI / 2],
  width: [0, GRIPPER.maxWidth],
} as const;

/** Velocity limits of the EE controller: 20 cm/s along a straight line, 90°/s in yaw. */
export const SPEED = { linear: 0.2, yaw: Math.PI / 2 } as const;

/** Where every episode starts: the hand above the middle of the table, gripper open. */
export const HOME = { x: 0, y: 0, z: 0.2, yaw: 0, width: GRIPPER.maxWidth } as const;

/**
 * Start poses: cube centres uniform in [−12, 12] cm² at rest on the table with a yaw uniform in
 * [−45°, 45°) (a quarter turn covers every pose of a cube), at least 9 cm apart: the open fingers reach
 * 5.1 cm from the EE point and another cube's nearest point is ≥ 9 − 2.83 cm away, so the gripper
 * descends onto any cube, at either grasp axis, at least 1 cm clear of the others.
 */
export const SPAWN = { half: 0.12, minDistance: 0.09 } as const;

/**
 * A cube is placed when it rests on another cube (centre 4 cm ± 5 mm above the other's, horizontally within
 * 1 cm of it), is still (ManiSkill's thresholds: < 1 cm/s, < 0.5 rad/s) and released (no finger within
 * 1 mm of it), for 1 s of control steps in a row.
 */
export const PLACE = { xyTol: 0.01, zTol: 0.005, linSpeed: 0.01, angSpeed: 0.5, releaseGap: 0.001, holdSteps: 10 } as const;

/** Quaternion (x, y, z, w) of a rotation by `yaw` about z. */
export function yawQuat(yaw: number): [number, number, number, number] {
  return [0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)];
}

/** The yaw (rotation about z, in (−π, π]) of a unit quaternion's x axis projected on the table. */
export function quatYaw(qx: number, qy: number, qz: number, qw: number): number {
  return Math.atan2(2 * (qw * qz + qx * qy), 1 - 2 * (qy * qy + qz * qz));
}

/** Wraps an angle into [−period/2, period/2). */
export function wrapAngle(a: number, period: number): number {
  return a - period * Math.floor(a / period + 0.5);
}
