/**
 * BlockStack-v0 pixel observations, checked against an independent reference: the pinhole camera of
 * scene.ts in closed form and a ray-cast of the boxes the state describes (raycast.ts), with the cubes'
 * and gripper's sizes from geometry.ts and their poses from the state, not from `frame()`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Renderer } from '../../src/render/renderer.ts';
import { PixelRenderer, withPixels } from '../../src/render/pixels.ts';
import { rollout } from '../../src/eval/rollout.ts';
import { ExpertPolicy } from '../../src/eval/expert-policy.ts';
import { expertFor, stateLabelInput } from '../../src/collect/experts.ts';
import { makeEnv } from '../../envs/index.ts';
import { BlockStackExpert } from '../../envs/block-stack/expert.ts';
import { BLOCKSTACK_SCENE } from '../../envs/block-stack/scene.ts';
import { CUBE_SIZE, CUBES, FINGER, PALM, TABLE } from '../../envs/block-stack/geometry.ts';
import type { ObsBatch, Policy, PolicyConfig } from '../../policies/core/policy.ts';
import { pythonJson } from '../data/python-zarr.ts';
import { collectWithImages, expectGolden, rendererPool } from './helpers.ts';
import { faceColours, hex, project, raycast, type Box3 } from './raycast.ts';

const { launch, closeAll } = rendererPool();
let r: Renderer;
let tmp: string;
beforeAll(async () => {
  r = await launch();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'dpbench-blockstack-pixels-'));
});
afterAll(async () => {
  await closeAll();
  rmSync(tmp, { recursive: true, force: true });
});

const SCENE = BLOCKSTACK_SCENE;
const colourOf = (name: string) => hex(SCENE.objects.find((o) => o.name === name)!.color);
const cube = (x: number, y: number, z: number, yaw = 0) => [x, y, z, 0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)];

/** The gripper at agent_pos (EE x, y, z, yaw, width): the palm and two fingers (geometry.ts). */
function gripperBoxes(a: ArrayLike<number>): Box3[] {
  const [x, y, z, yaw, w] = [a[0], a[1], a[2], a[3], a[4]];
  const q = [0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)] as const;
  const at = (dx: number, dz: number): [number, number, number] => [x + Math.cos(yaw) * dx, y + Math.sin(yaw) * dx, z + dz];
  const finger = (side: number): Box3 => ({ id: 'gripper', centre: at(side * (w / 2 + FINGER.thickness / 2), FINGER.centreZ), quaternion: q, size: [FINGER.thickness, FINGER.width, FINGER.length], rgb: colourOf('finger_left') });
  const palm: Box3 = { id: 'gripper', centre: at(0, PALM.centreZ), quaternion: q, size: [2 * PALM.halfExtents[0], 2 * PALM.halfExtents[1], 2 * PALM.halfExtents[2]], rgb: colourOf('palm') };
  return [palm, finger(-1), finger(1)];
}

/** Everything a `state` observation (26 numbers) puts in view: table, gripper, cubes. */
function stateBoxes(s: ArrayLike<number>): Box3[] {
  const table: Box3 = { id: 'table', centre: [0, 0, -TABLE.thickness / 2], quaternion: [0, 0, 0, 1], size: [2 * TABLE.halfX, 2 * TABLE.halfY, TABLE.thickness], rgb: colourOf('table') };
  const cubes = CUBES.map((c, i): Box3 => {
    const o = 5 + 7 * i;
    return { id: c.name, centre: [s[o], s[o + 1], s[o + 2]], quaternion: [s[o + 3], s[o + 4], s[o + 5], s[o + 6]], size: [CUBE_SIZE, CUBE_SIZE, CUBE_SIZE], rgb: hex(c.color) };
  });
  return [table, ...gripperBoxes(s), ...cubes];
}

/** Pixels differing from the ray-cast by more than 2 in some channel (edge pixels, where a pixel centre meets an edge). */
function differing(img: Uint8Array, ref: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < ref.length; i += 3) if (Math.abs(img[i] - ref[i]) > 2 || Math.abs(img[i + 1] - ref[i + 1]) > 2 || Math.abs(img[i + 2] - ref[i + 2]) > 2) n++;
  return n;
}

/** Count and centroid (pixel centres) of the pixels where `hit(i)`. */
function centroid(n: number, width: number, hit: (i: number) => boolean): { count: number; cx: number; cy: number } {
  let count = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    if (!hit(i)) continue;
    count++;
    sx += (i % width) + 0.5;
    sy += Math.floor(i / width) + 0.5;
  }
  return { count, cx: sx / count, cy: sy / count };
}

/** Pixels within 2 of one of the colours. */
const colourMask = (img: Uint8Array, colours: ReadonlyArray<readonly number[]>) => (i: number) =>
  colours.some((c) => Math.abs(img[3 * i] - c[0]) <= 2 && Math.abs(img[3 * i + 1] - c[1]) <= 2 && Math.abs(img[3 * i + 2] - c[2]) <= 2);

// Cubes apart, one turned and one in the air; a tower with the gripper beside it; the gripper closed on a cube.
const SPREAD = [0, 0.2, 0.3, 0, 0.08, ...cube(-0.1, -0.05, 0.02), ...cube(0, 0.08, 0.12, 0.5), ...cube(0.11, -0.1, 0.02, -0.3)];
const TOWER = [0.1, -0.05, 0.14, 0.6, 0.05, ...cube(0.03, 0, 0.02, 0.1), ...cube(0.03, 0, 0.06, 0.2), ...cube(0.03, 0, 0.1, -0.2)];
const GRASP = [-0.05, 0.02, 0.022, 0.3, 0.04, ...cube(-0.05, 0.02, 0.02, 0.3), ...cube(0.1, 0.1, 0.02), ...cube(0.08, -0.1, 0.02, 0.7)];

describe('BlockStack-v0 pixel observations', () => {
  it('show the state through the pinhole camera of scene.ts: every pixel as a ray-cast, each cube centred on its projected centre', async () => {
    const env = makeEnv('BlockStack-v0', { obsType: 'pixels_agent_pos' });
    expect(env.spec.pixels).toEqual({ width: 96, height: 96 });
    const { obs } = env.reset({ state: SPREAD });
    const [img] = await PixelRenderer.forEnv(r, env)!.observe([env]);
    expect(Object.keys(withPixels(obs, img)).sort()).toEqual(['agent_pos', 'pixels']);
    env.close();
    for (const [state, size] of [[SPREAD, 96], [SPREAD, 160], [TOWER, 96], [GRASP, 128]] as const) {
      const e = makeEnv('BlockStack-v0', { obsType: 'pixels', renderSize: size });
      e.reset({ state: [...state] });
      const s = e.getState();
      const [px] = await PixelRenderer.forEnv(r, e)!.observe([e]);
      e.close();
      const ref = raycast(SCENE, stateBoxes(s), size, size);
      // At most 0.5% of pixels off: in these scenes 1–5 of 9,216 at 96², all on edges.
      expect(differing(px, ref.rgb)).toBeLessThanOrEqual(0.005 * size * size);
      for (const [i, c] of CUBES.entries()) {
        // The cube's pixels by colour: its 6 faces' closed-form shading, no other object's.
        const box = stateBoxes(s).find((b) => b.id === c.name)!;
        const got = centroid(size * size, size, colourMask(px, faceColours(SCENE, box)));
        const want = centroid(size * size, size, (k) => ref.ids[k] === c.name);
        expect(Math.abs(got.count - want.count)).toBeLessThanOrEqual(0.05 * want.count + 2);
        expect(Math.hypot(got.cx - want.cx, got.cy - want.cy)).toBeLessThan(0.3);
        // Unoccluded, a cube's silhouette (top and side faces) centres within 0.46 px of its centre's
        // projection at 96² anywhere over the table (the ray-cast model's worst case over 200 poses).
        if (state === SPREAD) {
          const [col, row] = project(SCENE.camera, size, size, [s[5 + 7 * i], s[6 + 7 * i], s[7 + 7 * i]]);
          expect(Math.hypot(got.cx - col, got.cy - row)).toBeLessThan(0.6 * (size / 96));
        }
      }
    }
  });

  it('gives the same pixels for the same state, alone or anywhere in a batch', async () => {
    const envs = Array.from({ length: 12 }, (_, i) => {
      const e = makeEnv('BlockStack-v0', { obsType: 'pixels' });
      e.reset({ seed: 50 + i });
      for (let t = 0; t < i; t++) e.step([0.1 * Math.sin(t + i), 0.1 * Math.cos(t), 0.05 + 0.01 * t, 0.2 * i - 1, 0.08 - 0.005 * t]);
      return e;
    });
    const camera = PixelRenderer.forEnv(r, envs[0])!;
    const copy = (imgs: Uint8Array[]) => imgs.map((im) => Buffer.from(im));
    const batch = copy(await camera.observe(envs));
    const reversed = copy(await camera.observe([...envs].reverse()));
    for (let i = 0; i < envs.length; i++) {
      expect(batch[i].equals(reversed[envs.length - 1 - i])).toBe(true);
      const [alone] = await camera.observe([envs[i]]);
      expect(batch[i].equals(Buffer.from(alone))).toBe(true);
    }
    // Another env put in the same state, by getState() or by seed, looks the same; other states do not.
    const twin = makeEnv('BlockStack-v0', { obsType: 'pixels' });
    twin.reset({ state: envs[7].getState() });
    expect(Buffer.from((await camera.observe([twin]))[0]).equals(batch[7])).toBe(true);
    twin.reset({ seed: 50 });
    expect(Buffer.from((await camera.observe([twin]))[0]).equals(batch[0])).toBe(true);
    expect(new Set(batch.map((b) => b.toString('hex'))).size).toBe(envs.length);
    for (const e of [...envs, twin]) e.close();
  });

  it('rollouts hand the policy To images in step with agent_pos: the gripper where agent_pos puts it', async () => {
    const seeds = [100000, 100001, 100002, 100003, 100004];
    const run = async (nEnvs: number) => {
      const probe = new GripperProbe();
      const eps = await rollout({ envId: 'BlockStack-v0', envOptions: { obsType: 'pixels_agent_pos' }, policy: probe, seeds, nEnvs, maxEpisodeSteps: 12, renderer: r });
      return { probe, eps };
    };
    const a = await run(3);
    expect(a.eps.map((e) => [e.seed, e.length])).toEqual(seeds.map((s) => [s, 12]));
    // 2 waves × 3 decisions (Ta = 4); To = 2 images per env each time, every one checked.
    expect(a.probe.calls).toBe(6);
    expect(a.probe.errors.length).toBe(2 * (3 * 3 + 2 * 3));
    // The rendered gripper and the one ray-cast from agent_pos: centroids within 0.3 px, ≤ 3% of its pixels apart.
    expect(Math.max(...a.probe.errors.map((e) => e.offset))).toBeLessThan(0.3);
    expect(Math.max(...a.probe.errors.map((e) => e.mismatch))).toBeLessThan(0.03);
    // Batched differently: the same episodes, and the same images seen (the actions follow the images).
    const b = await run(5);
    expect(b.eps).toEqual(a.eps);
    expect([...b.probe.digests].sort()).toEqual([...a.probe.digests].sort());
  });

  it('labels pixel episodes from the state the expert records (stateLabelInput), as the demonstrations are labelled', async () => {
    const spec = expertFor('BlockStack-v0');
    const seeds = [3, 4];
    const opts = { envId: 'BlockStack-v0', envOptions: { obsType: 'pixels_agent_pos', renderSize: 32 }, policy: new ExpertPolicy('BlockStack-v0', 5, 5), seeds, renderer: r, labeler: spec.labelObservations };
    const eps = await rollout({ ...opts, labelInput: stateLabelInput('BlockStack-v0') });
    // The order each expert chose by its own coin (what collect records as `mode`).
    const chosen = seeds.map((seed) => {
      const env = makeEnv('BlockStack-v0');
      env.reset({ seed });
      const mode = new BlockStackExpert(seed).reset(env.getState());
      env.close();
      return mode;
    });
    expect(eps.map((e) => e.success)).toEqual([true, true]);
    expect(eps.map((e) => e.mode)).toEqual(chosen);
    expect(eps.every((e) => e.chunkModes!.length === Math.ceil(e.length / 8))).toBe(true);
    // agent_pos alone carries no cube: the state labeler refuses it.
    await expect(rollout({ ...opts, seeds: [5] })).rejects.toThrow('labelOrder: BlockStack-v0 state observations have 26 numbers, got obsDim 5');
  });

  it('matches the golden images (UPDATE_GOLDEN=1 regenerates them)', async () => {
    const envs = [SPREAD, TOWER, GRASP, null].map((state) => {
      const e = makeEnv('BlockStack-v0', { obsType: 'pixels' });
      e.reset(state ? { state } : { seed: 0 });
      return e;
    });
    const imgs = await PixelRenderer.forEnv(r, envs[0])!.observe(envs);
    imgs.forEach((img, i) => expectGolden(`blockstack-96-${i}`, img, 96, 96));
    for (const e of envs) e.close();
  });

  it('collect --images stores data/img (N, H, W, 3) uint8: each image is the recorded state seen by the camera', async () => {
    const { store, buf, img, state } = await collectWithImages(r, 'BlockStack-v0', 2, 48, tmp);
    const px = 48 * 48 * 3;
    // Independent: physics (the recorded state) against pixels, every step; fingers are dynamic bodies,
    // so their edges may sit a little off the width the state reports.
    for (let t = 0; t < buf.nSteps; t++) {
      const ref = raycast(SCENE, stateBoxes(state.subarray(26 * t, 26 * (t + 1))), 48, 48);
      expect(differing(img.subarray(t * px, (t + 1) * px), ref.rgb)).toBeLessThanOrEqual(0.01 * 48 * 48);
    }
    const py = pythonJson<{ shape: number[]; dtype: string }>('import sys, json, zarr; a = zarr.open(sys.argv[1], "r")["data/img"]; print(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype)}))', [store]);
    expect(py).toEqual({ shape: [buf.nSteps, 48, 48, 3], dtype: 'uint8' });
  });
});

/**
 * A test policy that acts from the camera image alone: it steers the EE (kept high, clear of the cubes)
 * by the red cube's place in the newest image. On every call it checks each image against that step's agent_pos: the gray
 * pixels (palm and fingers) against the gripper ray-cast from agent_pos alone.
 */
class GripperProbe implements Policy {
  readonly config: PolicyConfig = { id: 'gripper-probe', obsHorizon: 2, predictionHorizon: 5, actionHorizon: 4, obsDim: 5, actionDim: 5 };
  readonly errors: Array<{ offset: number; mismatch: number }> = [];
  readonly digests: string[] = [];
  calls = 0;

  reset(): void {}

  async predictChunk(obs: ObsBatch): Promise<Float32Array[]> {
    const { batchSize: B, obsHorizon: To, obsDim: Do, data, images } = obs;
    const W = 96;
    const n = W * W;
    if (!images || images.length !== B * To * n * 3) throw new Error(`gripper-probe: expected ${B}×${To} images of ${n * 3} bytes, got ${images?.length}`);
    const out: Float32Array[] = [];
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < To; t++) {
        const img = images.subarray((b * To + t) * n * 3, (b * To + t + 1) * n * 3);
        this.digests.push(createHash('sha256').update(img).digest('hex').slice(0, 16));
        const agentPos = data.subarray((b * To + t) * Do, (b * To + t + 1) * Do);
        const ref = raycast(SCENE, gripperBoxes(agentPos), W, W);
        const gray = (i: number) => img[3 * i] === img[3 * i + 1] && img[3 * i + 1] === img[3 * i + 2];
        const want = centroid(n, W, (i) => ref.ids[i] === 'gripper');
        const got = centroid(n, W, gray);
        let apart = 0;
        for (let i = 0; i < n; i++) if (gray(i) !== (ref.ids[i] === 'gripper')) apart++;
        this.errors.push({ offset: Math.hypot(got.cx - want.cx, got.cy - want.cy), mismatch: apart / want.count });
      }
      const newest = images.subarray((b * To + To - 1) * n * 3);
      const red = centroid(n, W, (i) => newest[3 * i] > 150 && newest[3 * i + 1] < 100 && newest[3 * i + 2] < 100);
      const [u, v] = red.count > 0 ? [red.cx / W - 0.5, red.cy / W - 0.5] : [0, 0];
      const chunk = new Float32Array(this.config.actionHorizon * 5);
      for (let k = 0; k < this.config.actionHorizon; k++) chunk.set([0.3 * u, 0.3 * v, 0.15, 0.8 * u, 0.06], 5 * k);
      out.push(chunk);
    }
    this.calls++;
    return out;
  }
}
