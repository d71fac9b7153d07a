/** Shared helpers of the render tests: frames from explicit poses, pixel masks, golden images, image datasets. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { SceneFrame } from '../../envs/core/types.ts';
import { makeEnv } from '../../envs/index.ts';
import { collect, collectConfig } from '../../src/collect/collect.ts';
import { ReplayBuffer } from '../../src/data/replay-buffer.ts';
import { PixelRenderer } from '../../src/render/pixels.ts';
import { decodePng, encodePng } from '../../src/render/png.ts';
import { Renderer, type RendererOptions } from '../../src/render/renderer.ts';

/** The original's pygame colours (CSS names), and pymunk_override's light_color = trunc(min(1.2·c, 255)). */
export const COLOURS = {
  white: [255, 255, 255],
  lightGreen: [144, 238, 144],
  lightSlateGray: [119, 136, 153],
  lightSlateGrayLight: [142, 163, 183],
  royalBlue: [65, 105, 225],
  royalBlueLight: [78, 126, 255],
  lightGray: [211, 211, 211],
} as const satisfies Record<string, readonly [number, number, number]>;

/** A PushT frame: agent at (x, y), block origin at (x, y) turned by angle about z (as PushTEnv.frame()). */
export function pushtFrame(agent: readonly [number, number], block: readonly [number, number, number]): SceneFrame {
  const [bx, by, a] = block;
  return {
    names: ['agent', 'block'],
    poses: Float32Array.of(agent[0], agent[1], 0, 0, 0, 0, 1, bx, by, 0, 0, 0, Math.sin(a / 2), Math.cos(a / 2)),
  };
}

export function pixel(img: Uint8Array, width: number, col: number, row: number): [number, number, number] {
  const o = (row * width + col) * 3;
  return [img[o], img[o + 1], img[o + 2]];
}

/** Pixels equal to one of `colours`: count and centroid (column, row of pixel centres). */
export function mask(img: Uint8Array, width: number, colours: ReadonlyArray<readonly [number, number, number]>): { count: number; cx: number; cy: number; at: (i: number) => boolean } {
  let count = 0;
  let sx = 0;
  let sy = 0;
  const hits = new Uint8Array(img.length / 3);
  for (let i = 0; i < hits.length; i++) {
    const r = img[3 * i];
    const g = img[3 * i + 1];
    const b = img[3 * i + 2];
    if (colours.some((c) => c[0] === r && c[1] === g && c[2] === b)) {
      hits[i] = 1;
      count++;
      sx += (i % width) + 0.5;
      sy += Math.floor(i / width) + 0.5;
    }
  }
  return { count, cx: sx / count, cy: sy / count, at: (i) => hits[i] === 1 };
}

const GOLDEN_DIR = fileURLToPath(new URL('./golden/', import.meta.url));

/**
 * Compares `img` with test/render/golden/<name>.png; `UPDATE_GOLDEN=1` (re)writes the golden instead.
 * Tolerance: renderers may differ on edge pixels (rasterization rules of another GPU or ANGLE backend),
 * so at most 1% of pixels may differ by more than 24 in a channel, and the mean absolute difference
 * must stay below 1.5 per channel.
 */
export function expectGolden(name: string, img: Uint8Array, width: number, height: number): { differing: number; meanAbs: number; updated: boolean } {
  const file = path.join(GOLDEN_DIR, `${name}.png`);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, encodePng(img, width, height));
    return { differing: 0, meanAbs: 0, updated: true };
  }
  if (!existsSync(file)) throw new Error(`golden ${file} missing; run the test with UPDATE_GOLDEN=1 to create it`);
  const g = decodePng(readFileSync(file), file);
  if (g.width !== width || g.height !== height) throw new Error(`golden ${file} is ${g.width}×${g.height}, the render ${width}×${height}`);
  let differing = 0;
  let sum = 0;
  for (let i = 0; i < width * height; i++) {
    let worst = 0;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(img[3 * i + c] - g.rgb[3 * i + c]);
      sum += d;
      worst = Math.max(worst, d);
    }
    if (worst > 24) differing++;
  }
  const meanAbs = sum / (width * height * 3);
  if (differing > 0.01 * width * height || meanAbs > 1.5) {
    const out = path.join(GOLDEN_DIR, '..', '..', '..', '.tmp', `${name}.actual.png`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, encodePng(img, width, height));
    throw new Error(`render differs from golden ${file}: ${differing} pixels off by > 24, mean abs diff ${meanAbs.toFixed(3)}; actual image written to ${out} (UPDATE_GOLDEN=1 accepts it)`);
  }
  return { differing, meanAbs, updated: false };
}

/**
 * Renderers launched by one test file, all closed after it:
 *   const { launch, closeAll } = rendererPool(); afterAll(closeAll);
 */
export function rendererPool(): { launch: (opts?: RendererOptions) => Promise<Renderer>; closeAll: () => Promise<void> } {
  const open: Renderer[] = [];
  return {
    launch: async (opts = {}) => {
      const r = await Renderer.launch(opts);
      open.push(r);
      return r;
    },
    closeAll: async () => {
      for (const r of open) await r.close();
    },
  };
}

/**
 * `collect --images` of `episodes` demonstrations of `envId` at `side`² into `resultsDir`, checked for what
 * every task's image dataset must be: `data/img` uint8 (N, side, side, 3), and each episode's first image
 * the seeded start as the task's pixel env shows it.
 */
export async function collectWithImages(r: Renderer, envId: string, episodes: number, side: number, resultsDir: string): Promise<{ store: string; buf: ReplayBuffer; img: Uint8Array; state: Float32Array }> {
  const config = collectConfig(envId, episodes, 0, side);
  expect(config.images).toBe(side);
  const res = await collect(config, { resultsDir, renderer: r });
  const buf = await ReplayBuffer.load(res.store);
  const { data, perStep } = buf.get('img');
  expect(perStep).toEqual([side, side, 3]);
  expect(data).toBeInstanceOf(Uint8Array);
  const img = data as Uint8Array;
  const px = side * side * 3;
  for (let e = 0; e < buf.nEpisodes; e++) {
    const env = makeEnv(envId, { obsType: 'pixels', renderSize: side });
    env.reset({ seed: buf.getMeta('seed')[e] as number });
    const [start] = await PixelRenderer.forEnv(r, env)!.observe([env]);
    env.close();
    const t0 = buf.episodeSlice(e).start;
    expect(Buffer.from(img.subarray(t0 * px, (t0 + 1) * px)).equals(Buffer.from(start))).toBe(true);
  }
  return { store: res.store, buf, img, state: buf.get('state').data as Float32Array };
}
