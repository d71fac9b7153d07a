/**
 * What PushT-v0 looks like, as data for the renderer (src/render): the original's pygame drawing
 * (diffusion_policy env/pusht/pusht_env.py `_render_frame` with its pymunk_override DrawOptions).
 *
 * - white canvas; the goal T filled with 'LightGreen', no outline;
 * - walls: 'LightGray' fat segments of radius 2 (4 px wide lines, round caps) on the wall segments;
 * - the block T: each of its two boxes filled with light_color('LightSlateGray') (× 1.2, clipped, truncated)
 *   and outlined with 'LightSlateGray' 4 px wide lines centred on its edges (so a line also crosses the
 *   junction of bar and stem); drawn here as the boxes grown by 2 px under the boxes shrunk by 2 px;
 * - the agent: a 'RoyalBlue' disc of radius 15 with a light_color('RoyalBlue') disc of radius 11 on it.
 *
 * Camera: the whole 512 × 512 workspace, top-down orthographic, image column = x and image row = y (the
 * original's pygame surface, y pointing down: `to_pygame` leaves coordinates unchanged). A right-handed
 * frame with y down has z pointing away from the viewer, so the camera sits at z < 0 looking towards +z,
 * and what is drawn on top lies at smaller z: goal, walls, agent, block from back to front (the
 * original's drawing order). The rounded corners of the outlines (radius 2 px) are drawn square.
 */
import type { SceneDescription, SceneObject } from '../core/scene.ts';
import { GOAL_POSE, T_BAR_LOCAL, T_STEM_LOCAL } from './geometry.ts';
import { PHYSICS } from './world.ts';

type Poly = readonly (readonly [number, number])[];

/** The axis-aligned box `poly` grown (d > 0) or shrunk (d < 0) by d on every side. */
function offsetBox(poly: Poly, d: number): [number, number][] {
  const xs = poly.map((p) => p[0]);
  const ys = poly.map((p) => p[1]);
  const x0 = Math.min(...xs) - d;
  const x1 = Math.max(...xs) + d;
  const y0 = Math.min(...ys) - d;
  const y1 = Math.max(...ys) + d;
  return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
}

/** Line half-width of the original's outlines and walls (pymunk_override draw_fat_segment, radius 2). */
const LINE = 2;

const zQuat = (angle: number): [number, number, number, number] => [0, 0, Math.sin(angle / 2), Math.cos(angle / 2)];

const walls: SceneObject[] = PHYSICS.walls.map(([x0, y0, x1, y1], i) => ({
  name: `wall${i}`,
  // Segment plus round caps of radius 2, drawn square: the segment's box grown by the radius.
  shape: { kind: 'box', size: [Math.abs(x1 - x0) + 2 * PHYSICS.wallRadius, Math.abs(y1 - y0) + 2 * PHYSICS.wallRadius, 0] },
  color: '#d3d3d3', // LightGray
  pose: { position: [(x0 + x1) / 2, (y0 + y1) / 2, -2], quaternion: [0, 0, 0, 1] },
  unlit: true,
}));

export const PUSHT_SCENE: SceneDescription = {
  id: 'PushT-v0',
  background: '#ffffff',
  camera: {
    kind: 'orthographic',
    left: -256,
    right: 256,
    top: 256,
    bottom: -256,
    position: [256, 256, -100],
    lookAt: [256, 256, 0],
    up: [0, -1, 0],
    near: 1,
    far: 200,
  },
  bodies: ['agent', 'block'],
  objects: [
    {
      name: 'goal',
      shape: { kind: 'extrude', polygons: [T_BAR_LOCAL, T_STEM_LOCAL], depth: 0 },
      color: '#90ee90', // LightGreen
      pose: { position: [GOAL_POSE[0], GOAL_POSE[1], -1], quaternion: zQuat(GOAL_POSE[2]) },
      unlit: true,
    },
    ...walls,
    {
      name: 'agent',
      body: 'agent',
      shape: { kind: 'cylinder', radius: PHYSICS.agentRadius, height: 0 },
      color: '#4169e1', // RoyalBlue
      pose: { position: [0, 0, -3], quaternion: [0, 0, 0, 1] },
      unlit: true,
    },
    {
      name: 'agent-inner',
      body: 'agent',
      shape: { kind: 'cylinder', radius: PHYSICS.agentRadius - 4, height: 0 },
      color: '#4e7eff', // light_color(RoyalBlue) = min(1.2 × (65, 105, 225), 255), truncated
      pose: { position: [0, 0, -4], quaternion: [0, 0, 0, 1] },
      unlit: true,
    },
    {
      name: 'block-outline',
      body: 'block',
      shape: { kind: 'extrude', polygons: [offsetBox(T_BAR_LOCAL, LINE), offsetBox(T_STEM_LOCAL, LINE)], depth: 0 },
      color: '#778899', // LightSlateGray
      pose: { position: [0, 0, -5], quaternion: [0, 0, 0, 1] },
      unlit: true,
    },
    {
      name: 'block-fill',
      body: 'block',
      shape: { kind: 'extrude', polygons: [offsetBox(T_BAR_LOCAL, -LINE), offsetBox(T_STEM_LOCAL, -LINE)], depth: 0 },
      color: '#8ea3b7', // light_color(LightSlateGray) = 1.2 × (119, 136, 153), truncated
      pose: { position: [0, 0, -6], quaternion: [0, 0, 0, 1] },
      unlit: true,
    },
  ],
};
