/**
 * Rollout videos: `ep_<seed>.gif` (and `ep_<seed>.mp4` where the browser has a WebCodecs encoder) for
 * the episodes asked for, by default the first 4 of the seed list and every failure (LeRobot and
 * diffusion_policy record a few episodes; failures are what one wants to look at).
 *
 * While an episode runs only its body poses are kept (SceneFrame, 7 floats per body and step); when it
 * ends and is wanted, a background job renders its frames with the rollout's renderer (so state-based
 * runs get videos too, and pixel runs get exactly the frames the policy saw), encodes the GIF in a worker
 * thread and the MP4 in the page, and writes both atomically. The rollout does not wait for it; `finish`
 * awaits every job.
 */
import path from 'node:path';
import type { SceneDescription } from '../../envs/core/scene.ts';
import type { SceneFrame } from '../../envs/core/types.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { GifWriter } from './gif.ts';
import type { ImageSize, Renderer } from './renderer.ts';

export interface VideoOptions {
  /** Folder the videos are written to (an eval's `videos/`). */
  dir: string;
  /** Record the episodes of the first `first` seeds of the seed list. Default 4. */
  first?: number;
  /** Record every episode that did not succeed. Default true. */
  failures?: boolean;
  /** Frame side in px; default the env's pixel observation size, else 96 (the original's render_size). */
  size?: number;
  /** Playback rate; default the env's control rate. */
  fps?: number;
  /** Also write MP4 (WebCodecs) where the browser can encode it. Default true. */
  mp4?: boolean;
}

/** Frames per render call of a video job, so the rollout's own renders get the page in between. */
const FRAMES_PER_CALL = 64;

export class EpisodeVideos {
  private readonly poses: Float32Array[];
  private readonly lengths: number[];
  private readonly jobs: Promise<void>[] = [];
  private readonly gif = new GifWriter();
  private readonly first: number;
  private readonly failures: boolean;
  private readonly size: ImageSize;
  private readonly fps: number;
  private readonly mp4: boolean;
  private readonly stride: number;
  /** Codec of the MP4s written (null: none written). */
  mp4Codec: string | null = null;

  constructor(
    private readonly renderer: Renderer,
    private readonly scene: SceneDescription,
    slots: number,
    private readonly opts: VideoOptions,
    defaults: { size: number; fps: number },
  ) {
    this.first = opts.first ?? 4;
    this.failures = opts.failures ?? true;
    const side = opts.size ?? defaults.size;
    this.size = { width: side, height: side };
    this.fps = opts.fps ?? defaults.fps;
    this.mp4 = opts.mp4 ?? true;
    if (!Number.isInteger(this.first) || this.first < 0) throw new Error(`videos.first must be a non-negative integer, got ${this.first}`);
    if (!Number.isInteger(side) || side < 8 || side > 1024) throw new Error(`videos.size must be an integer in [8, 1024], got ${side}`);
    if (this.mp4 && side % 2) throw new Error(`videos.size must be even for MP4 (4:2:0 video), got ${side}`);
    if (!(this.fps > 0)) throw new Error(`videos.fps must be > 0, got ${this.fps}`);
    this.stride = scene.bodies.length * 7;
    this.poses = Array.from({ length: slots }, () => new Float32Array(0));
    this.lengths = new Array<number>(slots).fill(0);
  }

  /** Whether an episode is recorded, from its place in the seed list and whether it succeeded. */
  wants(seedIndex: number, success: boolean): boolean {
    return seedIndex < this.first || (this.failures && !success);
  }

  /** Starts slot's episode at this frame (the observation after reset). */
  begin(slot: number, frame: SceneFrame): void {
    this.lengths[slot] = 0;
    this.add(slot, frame);
  }

  /** Appends the frame after a step. */
  add(slot: number, frame: SceneFrame): void {
    const n = this.lengths[slot];
    let buf = this.poses[slot];
    if ((n + 1) * this.stride > buf.length) {
      const grown = new Float32Array(Math.max(2 * buf.length, 64 * this.stride));
      grown.set(buf.subarray(0, n * this.stride));
      this.poses[slot] = buf = grown;
    }
    if (frame.poses.length !== this.stride) throw new Error(`video of ${this.scene.id}: a frame has ${frame.poses.length} pose values, expected ${this.stride}`);
    buf.set(frame.poses, n * this.stride);
    this.lengths[slot] = n + 1;
  }

  /**
   * Ends slot's episode; when it is wanted, starts writing its videos in the background and returns the
   * list their file names (relative to the videos folder's parent, as eval_info.json lists them) are
   * added to as they are written; null when not wanted.
   */
  end(slot: number, seed: number, seedIndex: number, success: boolean): string[] | null {
    if (!this.wants(seedIndex, success)) return null;
    const count = this.lengths[slot];
    const poses = this.poses[slot].slice(0, count * this.stride);
    const written: string[] = [];
    const job = this.write(poses, count, seed, written);
    job.catch(() => undefined); // reported by finish()
    this.jobs.push(job);
    return written;
  }

  /** Waits for every video job; throws the first failure. */
  async finish(): Promise<void> {
    try {
      const results = await Promise.allSettled(this.jobs);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw new Error(`writing rollout videos to ${this.opts.dir} failed: ${(failed.reason as Error)?.message ?? String(failed.reason)}`);
    } finally {
      await this.gif.close();
    }
  }

  private async write(poses: Float32Array, count: number, seed: number, written: string[]): Promise<void> {
    const frames: Uint8Array[] = [];
    for (let start = 0; start < count; start += FRAMES_PER_CALL) {
      const n = Math.min(FRAMES_PER_CALL, count - start);
      frames.push(...(await this.renderer.renderPoses(this.scene, poses.subarray(start * this.stride, (start + n) * this.stride), n, this.size)));
    }
    const gifBytes = this.gif.encode(frames, this.size, this.fps);
    const mp4 = this.mp4 ? await this.renderer.encodeMp4(frames, this.size, this.fps) : null;
    const rel = path.basename(this.opts.dir);
    writeFileAtomic(path.join(this.opts.dir, `ep_${seed}.gif`), await gifBytes);
    written.push(`${rel}/ep_${seed}.gif`);
    if (mp4) {
      writeFileAtomic(path.join(this.opts.dir, `ep_${seed}.mp4`), mp4.bytes);
      written.push(`${rel}/ep_${seed}.mp4`);
      this.mp4Codec = mp4.codec;
    }
  }
}
