/**
 * The pixel observation types every task with a camera offers (gym-pusht's names). `step` is synchronous
 * and rendering is not (it happens in a browser, src/render), so an env made with one of them declares its
 * image size in `spec.pixels` and returns only the low-dimensional part: `{ agent_pos }` — the agent's own
 * state, what a robot senses without a camera — for `pixels_agent_pos`, `{}` for `pixels`. The harness
 * adds `pixels`, rendered from `frame()` for all envs of a rollout at once (src/render/pixels.ts).
 */
import { z } from 'zod';
import type { EnvSpec, Obs } from './types.ts';

export const PIXEL_OBS_TYPES = ['pixels', 'pixels_agent_pos'] as const;
export type PixelObsType = (typeof PIXEL_OBS_TYPES)[number];

/** Side of the square camera image of the pixel observation types (the original's render_size: 96). */
export const RenderSize = z.number().int().min(8).max(1024).default(96);

export function isPixelObsType(obsType: string): obsType is PixelObsType {
  return (PIXEL_OBS_TYPES as readonly string[]).includes(obsType);
}

/** The `spec.pixels` entry of an env made with `obsType`: a `renderSize`² image for pixel types, none otherwise. */
export function cameraOf(obsType: string, renderSize: number): Pick<EnvSpec, 'pixels'> {
  return isPixelObsType(obsType) ? { pixels: { width: renderSize, height: renderSize } } : {};
}

/** What `reset`/`step` return for a pixel obs type, given the agent's own state (a fresh array). */
export function pixelObs(obsType: PixelObsType, agentPos: Float32Array): Obs {
  return obsType === 'pixels_agent_pos' ? { agent_pos: agentPos } : {};
}
