/**
 * What BlockStack-v0 looks like, as data for the renderer (src/render): the table, the hand's palm, two
 * fingers and three cubes, sized from geometry.ts, each attached to the body of `frame()` that moves it
 * (body origins: the EE point for the hand, box centres for fingers and cubes), seen by a fixed
 * perspective camera in front of and above the table. Metres, z up.
 */
import type { SceneDescription } from '../core/scene.ts';
import { FRAME_BODIES } from './env.ts';
import { CUBE_SIZE, CUBES, FINGER, PALM, TABLE } from './geometry.ts';

const IDENTITY = [0, 0, 0, 1] as const;

export const BLOCKSTACK_SCENE: SceneDescription = {
  id: 'BlockStack-v0',
  background: '#dfe6ee',
  // In front of the workspace (−y) and above it, 55 cm from a point 8 cm above the middle of the table:
  // at a 45° field of view the image spans ±23 cm there, so the ±20 cm reach, a three-cube tower and
  // the gripper at its home height stay in view.
  camera: { kind: 'perspective', fovDeg: 45, position: [0, -0.45, 0.4], lookAt: [0, 0, 0.08], up: [0, 0, 1], near: 0.05, far: 3 },
  objects: [
    {
      name: 'table',
      shape: { kind: 'box', size: [2 * TABLE.halfX, 2 * TABLE.halfY, TABLE.thickness] },
      color: '#b8a184',
      pose: { position: [0, 0, -TABLE.thickness / 2], quaternion: IDENTITY },
    },
    {
      name: 'palm',
      shape: { kind: 'box', size: [2 * PALM.halfExtents[0], 2 * PALM.halfExtents[1], 2 * PALM.halfExtents[2]] },
      color: '#4d4d4d',
      body: 'hand',
      pose: { position: [0, 0, PALM.centreZ], quaternion: IDENTITY },
    },
    ...(['finger_left', 'finger_right'] as const).map((body) => ({
      name: body,
      shape: { kind: 'box' as const, size: [FINGER.thickness, FINGER.width, FINGER.length] as const },
      color: '#7f7f7f',
      body,
    })),
    ...CUBES.map((c) => ({
      name: `cube_${c.name}`,
      shape: { kind: 'box' as const, size: [CUBE_SIZE, CUBE_SIZE, CUBE_SIZE] as const },
      color: c.color,
      body: c.name,
    })),
  ],
  bodies: FRAME_BODIES,
  lights: { ambient: 0.8, directional: { direction: [-0.3, 0.5, -1], intensity: 1.2 } },
};
