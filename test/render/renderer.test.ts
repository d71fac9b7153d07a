import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Renderer, RenderInputError } from '../../src/render/renderer.ts';
import type { SceneDescription } from '../../envs/core/scene.ts';
import { RandomState } from '../../envs/core/numpy-random.ts';
import { PUSHT_SCENE } from '../../envs/push-t/scene.ts';
import { readFixture, type PushTCoverageCase } from '../helpers/fixtures.ts';
import { COLOURS, expectGolden, mask, pixel, pushtFrame } from './helpers.ts';

// Where the agent and block are out of the way of the goal T (centre 256, 256) and of each other.
const FAR_AGENT = [60, 60] as const;
const FAR_BLOCK = [440, 330, 0] as const;

let r: Renderer;
beforeAll(async () => {
  r = await Renderer.launch();
});
afterAll(async () => {
  await r?.close();
});

const render1 = async (agent: readonly [number, number], block: readonly [number, number, number], size: number) =>
  (await r.render(PUSHT_SCENE, [pushtFrame(agent, block)], { width: size, height: size }))[0];

describe('PushT-v0 scene under the renderer', () => {
  it('draws the agent disc where the camera projection puts it (image column = x, row = y, 512 px → W)', async () => {
    for (const size of [96, 512]) {
      for (const agent of [[100, 400], [400, 130], [256.5, 77.25]] as const) {
        const img = await render1(agent, FAR_BLOCK, size);
        const disc = mask(img, size, [COLOURS.royalBlue, COLOURS.royalBlueLight]);
        const scale = 512 / size;
        // Centroid of a sampled disc: within a quarter pixel of the true centre.
        expect(Math.abs(disc.cx * scale - agent[0])).toBeLessThan(0.25 * scale);
        expect(Math.abs(disc.cy * scale - agent[1])).toBeLessThan(0.25 * scale);
        // Area of the radius-15 disc.
        expect(disc.count * scale * scale).toBeGreaterThan(Math.PI * 15 ** 2 * (size === 512 ? 0.98 : 0.8));
        expect(disc.count * scale * scale).toBeLessThan(Math.PI * 15 ** 2 * (size === 512 ? 1.02 : 1.2));
      }
    }
  });

  it("uses the original's colours: white floor, LightGreen goal, LightSlateGray block, RoyalBlue agent, LightGray walls", async () => {
    const img = await render1([100, 400], [256, 100, 0], 512);
    expect(pixel(img, 512, 300, 450)).toEqual(COLOURS.white);
    // Goal: body origin (256, 256) turned by π/4; local (0, 15) (inside the bar) → (256 − 15 sin π/4, 256 + 15 cos π/4).
    expect(pixel(img, 512, Math.floor(256 - 15 * Math.SQRT1_2), Math.floor(256 + 15 * Math.SQRT1_2))).toEqual(COLOURS.lightGreen);
    expect(pixel(img, 512, 100, 400)).toEqual(COLOURS.royalBlueLight); // agent centre (inner disc, radius 11)
    expect(pixel(img, 512, 100 + 13, 400)).toEqual(COLOURS.royalBlue); // agent rim (radius 11–15)
    expect(pixel(img, 512, 100 + 17, 400)).toEqual(COLOURS.white);
    expect(pixel(img, 512, 256 + 30, 100 + 15)).toEqual(COLOURS.lightSlateGrayLight); // block bar interior
    expect(pixel(img, 512, 256 + 30, 100)).toEqual(COLOURS.lightSlateGray); // on the bar's top edge: outline
    expect(pixel(img, 512, 256, 100 + 30)).toEqual(COLOURS.lightSlateGray); // bar/stem junction line
    expect(pixel(img, 512, 5, 256)).toEqual(COLOURS.lightGray); // left wall segment x = 5
    expect(pixel(img, 512, 256, 506)).toEqual(COLOURS.lightGray); // bottom wall y = 506
  });

  it('turns the block about z as the physics does: angle π/2 points the stem to −x', async () => {
    const img = await render1(FAR_AGENT, [256, 400, Math.PI / 2], 512);
    const isBlock = (x: number, y: number) => mask(img, 512, [COLOURS.lightSlateGray, COLOURS.lightSlateGrayLight]).at(y * 512 + x);
    // R(π/2)·(0, 75) = (−75, 0): stem centre left of the origin; bar along y.
    expect(isBlock(256 - 75, 400)).toBe(true);
    expect(isBlock(256 + 75, 400)).toBe(false);
    expect(isBlock(256 - 15, 400 + 50)).toBe(true);
    expect(isBlock(256 - 15, 400 - 50)).toBe(true);
  });

  it('fills exactly the pixels whose centres lie inside the goal T (point sampling, the rasterization rule)', async () => {
    // Reference: pixel (col, row) samples world (col + ½, row + ½)·512/W; inside the goal's two boxes,
    // from the original's goal pose and box corners (not the scene's description). Centres within 1e-6 px
    // of an edge are ties, which GL breaks by its top-left rule (the goal's top edge passes through
    // (256, 256) at 45°, so through a whole diagonal of pixel centres at every size).
    const [cx, cy, ca] = [256, 256, Math.PI / 4];
    const boxes = [[[-60, 0], [60, 0], [60, 30], [-60, 30]], [[-15, 30], [15, 30], [15, 120], [-15, 120]]].map((b) =>
      b.map(([x, y]) => [cx + Math.cos(ca) * x - Math.sin(ca) * y, cy + Math.sin(ca) * x + Math.cos(ca) * y]),
    );
    // Signed distances of (x, y) to the edges of a counter-clockwise (y down: clockwise on screen) box; min over edges.
    const inside = (box: number[][], x: number, y: number) =>
      Math.min(...box.map((a, k) => {
        const b = box[(k + 1) % 4];
        const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
        return ((b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0])) / len;
      }));
    for (const size of [96, 200, 512]) {
      const img = await render1(FAR_AGENT, FAR_BLOCK, size);
      const goal = mask(img, size, [COLOURS.lightGreen]);
      let inCount = 0;
      let ties = 0;
      let wrong = 0;
      for (let row = 0; row < size; row++) {
        for (let col = 0; col < size; col++) {
          const x = ((col + 0.5) * 512) / size;
          const y = ((row + 0.5) * 512) / size;
          const d = Math.max(...boxes.map((b) => inside(b, x, y)));
          if (Math.abs(d) < 1e-6) ties++;
          else if ((d > 0) !== goal.at(row * size + col)) wrong++;
          if (d > 1e-6) inCount++;
        }
      }
      expect(wrong).toBe(0);
      expect(ties).toBeLessThan(0.01 * inCount + size);
      // Point sampling is unbiased: the inside count approaches the analytic area 6300 px².
      if (size === 512) expect(Math.abs(inCount - 6300) / 6300).toBeLessThan(0.02);
    }
  });

  it('draws the block as the outlined T: its boxes grown by 2 px (bar 124 × 34, stem 34 × 94)', async () => {
    const img = await render1(FAR_AGENT, [380, 120, 0.3], 512);
    const block = mask(img, 512, [COLOURS.lightSlateGray, COLOURS.lightSlateGrayLight]).count;
    // Bar 124 × 34 plus stem 34 × 94, overlapping on 34 × 4.
    const drawn = 124 * 34 + 34 * 94 - 34 * 4;
    expect(Math.abs(block - drawn) / drawn).toBeLessThan(0.005);
    const fill = mask(img, 512, [COLOURS.lightSlateGrayLight]).count;
    // Fill: the boxes shrunk by 2 px, 116 × 26 and 26 × 86, separated by the junction line.
    expect(Math.abs(fill - (116 * 26 + 26 * 86)) / (116 * 26 + 26 * 86)).toBeLessThan(0.005);
  });

  it("agrees with shapely's coverage (fixture) when the goal's cover is measured in the image", async () => {
    const cases = readFixture<{ cases: PushTCoverageCase[] }>('pusht_coverage.json').cases.filter((c) => c.coverage > 0.05).slice(0, 12);
    expect(cases.length).toBe(12);
    const size = 512;
    const [goalOnly] = await r.render(PUSHT_SCENE, [pushtFrame(FAR_AGENT, FAR_BLOCK)], { width: size, height: size });
    const goal = mask(goalOnly, size, [COLOURS.lightGreen]);
    const imgs = await r.render(PUSHT_SCENE, cases.map((c) => pushtFrame(FAR_AGENT, c.block)), { width: size, height: size });
    imgs.forEach((img, k) => {
      // The drawn T brackets the true one: its fill is the T shrunk by 2 px, fill + outline the T grown by
      // 2 px. Slack 0.015: pixel centres on the goal's 45° edges are ties (≈ 1.3% of its area at 512 px).
      let fill = 0;
      let edge = 0;
      for (let i = 0; i < size * size; i++) {
        if (!goal.at(i)) continue;
        const [cr, cg, cb] = [img[3 * i], img[3 * i + 1], img[3 * i + 2]];
        if (cr === COLOURS.lightSlateGrayLight[0] && cg === COLOURS.lightSlateGrayLight[1] && cb === COLOURS.lightSlateGrayLight[2]) fill++;
        if (cr === COLOURS.lightSlateGray[0] && cg === COLOURS.lightSlateGray[1] && cb === COLOURS.lightSlateGray[2]) edge++;
      }
      const want = cases[k].coverage;
      expect(fill / goal.count).toBeLessThan(want + 0.015);
      expect((fill + edge) / goal.count).toBeGreaterThan(want - 0.015);
    });
  });

  it('gives the same pixels for the same frames, alone or anywhere in a batch of any size', async () => {
    const frames = Array.from({ length: 50 }, (_, i) => pushtFrame([60 + 7 * i, 450 - 5 * i], [150 + 4 * i, 200 + 3 * i, 0.37 * i]));
    const batch = await r.render(PUSHT_SCENE, frames, { width: 96, height: 96 });
    const again = await r.render(PUSHT_SCENE, frames, { width: 96, height: 96 });
    const reversed = await r.render(PUSHT_SCENE, [...frames].reverse(), { width: 96, height: 96 });
    for (const i of [0, 7, 23, 49]) {
      const [alone] = await r.render(PUSHT_SCENE, [frames[i]], { width: 96, height: 96 });
      expect(Buffer.from(batch[i]).equals(Buffer.from(alone))).toBe(true);
    }
    for (let i = 0; i < 50; i++) {
      expect(Buffer.from(batch[i]).equals(Buffer.from(again[i]))).toBe(true);
      expect(Buffer.from(batch[i]).equals(Buffer.from(reversed[49 - i]))).toBe(true);
    }
    // Frames that differ render differently.
    expect(Buffer.from(batch[0]).equals(Buffer.from(batch[1]))).toBe(false);
    // Arbitrary (not round) poses, in batches of other sizes and layouts: still the same pixels.
    const rs = new RandomState(7);
    const random = Array.from({ length: 120 }, () => pushtFrame([rs.uniform(20, 490), rs.uniform(20, 490)], [rs.uniform(60, 450), rs.uniform(60, 450), rs.uniform(-10, 10)]));
    const whole = await r.render(PUSHT_SCENE, random, { width: 96, height: 96 });
    for (let start = 0; start < random.length; start += 7) {
      const part = await r.render(PUSHT_SCENE, random.slice(start, start + 7), { width: 96, height: 96 });
      part.forEach((img, k) => expect(Buffer.from(img).equals(Buffer.from(whole[start + k]))).toBe(true));
    }
  });

  it('renders non-square sizes with the same projection per axis', async () => {
    const [img] = await r.render(PUSHT_SCENE, [pushtFrame([128, 384], FAR_BLOCK)], { width: 160, height: 80 });
    expect(img.length).toBe(160 * 80 * 3);
    const disc = mask(img, 160, [COLOURS.royalBlue, COLOURS.royalBlueLight]);
    expect(Math.abs(disc.cx * (512 / 160) - 128)).toBeLessThan(0.5 * (512 / 160));
    expect(Math.abs(disc.cy * (512 / 80) - 384)).toBeLessThan(0.5 * (512 / 80));
  });

  it('matches the golden images (UPDATE_GOLDEN=1 regenerates them)', async () => {
    const states: Array<[[number, number], [number, number, number]]> = [
      [[235, 124], [299.6, 145.2, -0.905]],
      [[365, 182], [234.9, 304.5, -1.098]],
      [[256, 256], [256, 256, Math.PI / 4]],
      [[40, 470], [470, 470, 2.5]],
    ];
    const imgs = await r.render(PUSHT_SCENE, states.map(([a, b]) => pushtFrame(a, b)), { width: 96, height: 96 });
    imgs.forEach((img, i) => expectGolden(`pusht-96-${i}`, img, 96, 96));
  });

  it('draws any scene description: lit colours are colour × (ambient + intensity × cos θ); perspective projects by the field of view', async () => {
    // A 1 × 1 lit square on body 'tile' (z = 0, facing +z), seen from z = 2 by a 90° camera: the view is
    // 2·tan(45°)·2 = 4 units across, so the square spans a quarter of the image.
    const lit = (dir: [number, number, number]): SceneDescription => ({
      id: `test-lit-${dir.join('_')}`,
      background: '#000000',
      camera: { kind: 'perspective', fovDeg: 90, position: [0, 0, 2], lookAt: [0, 0, 0], up: [0, 1, 0], near: 0.1, far: 10 },
      bodies: ['tile'],
      objects: [{ name: 'sq', body: 'tile', shape: { kind: 'box', size: [1, 1, 0] }, color: '#c86432' }],
      lights: { ambient: 0.3, directional: { direction: dir, intensity: 0.5 } },
    });
    const frame = { names: ['tile'], poses: Float32Array.of(0, 0, 0, 0, 0, 0, 1) };
    const base = [200, 100, 50];
    for (const [dir, factor] of [[[0, 0, -1], 0.3 + 0.5], [[Math.sin(Math.PI / 3), 0, -Math.cos(Math.PI / 3)], 0.3 + 0.5 * 0.5]] as const) {
      const [img] = await r.render(lit(dir as [number, number, number]), [frame], { width: 100, height: 100 });
      const centre = pixel(img, 100, 50, 50);
      centre.forEach((v, c) => expect(Math.abs(v - base[c] * factor)).toBeLessThanOrEqual(1.5));
      let n = 0;
      for (let i = 0; i < 100 * 100; i++) if (img[3 * i] > 0) n++;
      expect(Math.abs(n - 25 * 25)).toBeLessThanOrEqual(2 * 25 + 1);
    }
  });

  it('refuses bad input, naming the value and what was expected', async () => {
    const good = pushtFrame(FAR_AGENT, FAR_BLOCK);
    await expect(r.render(PUSHT_SCENE, [{ names: ['block', 'agent'], poses: good.poses }], { width: 96, height: 96 })).rejects.toThrow(
      'render PushT-v0: frame 0 has bodies [block, agent], expected [agent, block]',
    );
    await expect(r.render(PUSHT_SCENE, [{ names: good.names, poses: good.poses.subarray(0, 7) }], { width: 96, height: 96 })).rejects.toThrow('has 7 pose values, expected 2 bodies × 7');
    const nan = Float32Array.from(good.poses);
    nan[1] = NaN;
    await expect(r.render(PUSHT_SCENE, [{ names: good.names, poses: nan }], { width: 96, height: 96 })).rejects.toThrow('pose value 1 (frame 0) is NaN, expected a finite number');
    await expect(r.render(PUSHT_SCENE, [good], { width: 0, height: 96 })).rejects.toThrow(RenderInputError);
    await expect(r.render({ ...PUSHT_SCENE, background: '#000000' }, [good], { width: 8, height: 8 })).rejects.toThrow('two different scene descriptions share the id "PushT-v0"');
    expect(r.restarts).toBe(0);
  });
});
