/**
 * Pixel observations. `Env.step` is synchronous and rendering happens in a browser, so an env with a
 * camera (`spec.pixels`) returns its observation without the image, and the rollout (or collect) asks a
 * PixelRenderer once per control step for the images of all its envs: one batched render of their
 * `frame()`s. The observation a policy sees is then `{ pixels: uint8 H × W × 3, ...the env's arrays }`
 * (PushT-v0 `pixels_agent_pos`: `{ pixels, agent_pos: float32 [2] }`, as gym-pusht).
 */
import type { SceneDescription } from '../../envs/core/scene.ts';
import type { Env, Obs, SceneFrame } from '../../envs/core/types.ts';
import type { ImageSize, Renderer } from './renderer.ts';
import { sceneFor } from './scenes.ts';

export class PixelRenderer {
  readonly size: ImageSize;
  private readonly frames: SceneFrame[] = [];
  private pixels = new Uint8Array(0);

  constructor(readonly renderer: Renderer, readonly scene: SceneDescription, size: ImageSize) {
    this.size = { width: size.width, height: size.height };
  }

  /** The pixel renderer of envs like `env` (its `spec.pixels` size and its task's scene); null when it has no camera. */
  static forEnv(renderer: Renderer, env: Env): PixelRenderer | null {
    const px = env.spec.pixels;
    return px ? new PixelRenderer(renderer, sceneFor(env.spec.id), px) : null;
  }

  /** Bytes of one image. */
  get imageBytes(): number {
    return this.size.width * this.size.height * 3;
  }

  /**
   * The image of each env's current state, rendered in one batch (H × W × 3 each). The images are views
   * into a buffer the next call overwrites: copy what you keep (a rollout copies them into its history).
   */
  async observe(envs: readonly Env[]): Promise<Uint8Array[]> {
    this.frames.length = 0;
    for (const e of envs) this.frames.push(e.frame());
    if (this.pixels.length < envs.length * this.imageBytes) this.pixels = new Uint8Array(envs.length * this.imageBytes);
    return this.renderer.render(this.scene, this.frames, this.size, this.pixels);
  }
}

/** The observation with its image: `{ pixels, ...obs }` (obs a dict from an env with a camera). */
export function withPixels(obs: Obs, pixels: Uint8Array): { [key: string]: Float32Array | Uint8Array } {
  if (obs instanceof Float32Array) throw new Error('withPixels: an env with a camera returns dict observations, got a Float32Array');
  return { pixels, ...obs };
}

/**
 * The low-dimensional part of an observation, as a policy's flat input: the array itself, or a dict's
 * float32 entries (everything but `pixels`) concatenated in key order. `out` is reused when it fits.
 */
export function lowDimOf(obs: Obs, out?: Float32Array): Float32Array {
  if (obs instanceof Float32Array) return obs;
  let n = 0;
  for (const k of Object.keys(obs)) if (k !== 'pixels' && obs[k] instanceof Float32Array) n += obs[k].length;
  const dst = out && out.length === n ? out : new Float32Array(n);
  let o = 0;
  for (const k of Object.keys(obs).sort()) {
    const v = obs[k];
    if (k === 'pixels' || !(v instanceof Float32Array)) continue;
    dst.set(v, o);
    o += v.length;
  }
  return dst;
}
