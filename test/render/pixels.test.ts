import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Renderer } from '../../src/render/renderer.ts';
import { PixelRenderer, withPixels } from '../../src/render/pixels.ts';
import { rollout } from '../../src/eval/rollout.ts';
import { makeEnv } from '../../envs/index.ts';
import { pythonJson } from '../data/python-zarr.ts';
import { COLOURS, collectWithImages, mask } from './helpers.ts';
import { PixelChaser } from './pixel-policy.ts';

let r: Renderer;
let tmp: string;
beforeAll(async () => {
  r = await Renderer.launch();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'dpbench-pixels-'));
});
afterAll(async () => {
  await r?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('PushT-v0 pixel observations', () => {
  it('pixels_agent_pos: the env gives agent_pos and its camera size; the harness adds the rendered image', async () => {
    const env = makeEnv('PushT-v0', { obsType: 'pixels_agent_pos' });
    expect(env.spec.pixels).toEqual({ width: 96, height: 96 });
    expect(env.spec.observationSpace.shape).toEqual([2]);
    const { obs } = env.reset({ seed: 100000 });
    const state = env.getState();
    expect(Object.keys(obs)).toEqual(['agent_pos']);
    expect(Array.from((obs as { agent_pos: Float32Array }).agent_pos)).toEqual([state[0], state[1]]);
    const camera = PixelRenderer.forEnv(r, env)!;
    const [img] = await camera.observe([env]);
    const full = withPixels(obs, img);
    expect(Object.keys(full).sort()).toEqual(['agent_pos', 'pixels']);
    expect(full.pixels).toBeInstanceOf(Uint8Array);
    expect(full.pixels.length).toBe(96 * 96 * 3);
    const disc = mask(img, 96, [COLOURS.royalBlue, COLOURS.royalBlueLight]);
    expect(Math.hypot(disc.cx * (512 / 96) - state[0], disc.cy * (512 / 96) - state[1])).toBeLessThan(2.5);
    env.close();

    const small = makeEnv('PushT-v0', { obsType: 'pixels', renderSize: 48 });
    expect(small.spec.pixels).toEqual({ width: 48, height: 48 });
    expect(small.reset({ seed: 1 }).obs).toEqual({});
    small.close();
    expect(() => makeEnv('PushT-v0', { obsType: 'pixels', renderSize: 4 })).toThrow(/PushT-v0: bad option renderSize/);
    // Envs without a camera need no renderer.
    expect(PixelRenderer.forEnv(r, makeEnv('PushT-v0'))).toBeNull();
  });

  it('rollouts render every control step for all envs and hand the policy To images in step with agent_pos', async () => {
    const seeds = [100000, 100001, 100002, 100003, 100004];
    const a = new PixelChaser();
    const eps = await rollout({ envId: 'PushT-v0', envOptions: { obsType: 'pixels_agent_pos' }, policy: a, seeds, nEnvs: 3, maxEpisodeSteps: 24, renderer: r });
    expect(eps.map((e) => e.seed)).toEqual(seeds);
    expect(eps.every((e) => e.length === 24)).toBe(true);
    // 2 waves × 3 decisions; each sees To = 2 images per env; the agent is where agent_pos says.
    expect(a.calls).toBe(6);
    expect(a.agentErrors.length).toBeGreaterThan(0.8 * 2 * (3 * 3 + 2 * 3));
    expect(Math.max(...a.agentErrors)).toBeLessThan(2.5);
    // The pixels drive the actions: the same rollout again, batched differently, is identical.
    const b = new PixelChaser();
    const again = await rollout({ envId: 'PushT-v0', envOptions: { obsType: 'pixels_agent_pos' }, policy: b, seeds, nEnvs: 5, maxEpisodeSteps: 24, renderer: r });
    expect(again).toEqual(eps);
    // … and the policy saw the same images (in another batch order).
    expect([...b.digests].sort()).toEqual([...a.digests].sort());
  });

  it('labels pixel episodes from what labelInput reads (the state), since images carry no mode', async () => {
    const seen: Array<[number, number]> = [];
    const eps = await rollout({
      envId: 'PushT-v0', envOptions: { obsType: 'pixels_agent_pos' }, policy: new PixelChaser(), seeds: [100007, 100008], nEnvs: 2, maxEpisodeSteps: 16, renderer: r,
      labelInput: (env) => env.getState().slice(0, 5),
      labeler: (obs, dim) => (seen.push([obs.length / dim, dim]), dim === 5 ? 'from-state' : 'from-pixels'),
    });
    expect(eps.map((e) => e.mode)).toEqual(['from-state', 'from-state']);
    // Whole episodes: the start and 16 steps; stretches of 8 steps (+ the observation they start from).
    expect(seen.filter(([n]) => n === 17).length).toBe(2);
    expect(seen.every(([n, d]) => d === 5 && (n === 17 || n === 9))).toBe(true);
  });

  it('a policy that needs images gets none from an env without a camera', async () => {
    await expect(rollout({ envId: 'PushT-v0', envOptions: { obsType: 'state' }, policy: new PixelChaser(), seeds: [1], maxEpisodeSteps: 8 })).rejects.toThrow(
      'expects observations of length 2, PushT-v0 gives 5',
    );
  });

  it('collect --images stores data/img (N, H, W, 3) uint8: the observation before each action, as zarr-python reads it', async () => {
    const { store, buf, img, state } = await collectWithImages(r, 'PushT-v0', 2, 64, tmp);
    const px = 64 * 64 * 3;
    // Every image shows the agent where the recorded state puts it (independent: physics vs pixels).
    let checked = 0;
    for (let t = 0; t < buf.nSteps; t++) {
      const disc = mask(img.subarray(t * px, (t + 1) * px), 64, [COLOURS.royalBlue, COLOURS.royalBlueLight]);
      if (disc.count < 0.85 * Math.PI * (15 / 8) ** 2) continue;
      expect(Math.hypot(disc.cx * 8 - state[5 * t], disc.cy * 8 - state[5 * t + 1])).toBeLessThan(3);
      checked++;
    }
    expect(checked).toBeGreaterThan(0.8 * buf.nSteps);
    const py = pythonJson<{ shape: number[]; dtype: string; sum: number }>(
      'import sys, json, zarr; a = zarr.open(sys.argv[1], "r")["data/img"]; print(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype), "sum": int(a[:].astype("int64").sum())}))',
      [store],
    );
    expect(py.shape).toEqual([buf.nSteps, 64, 64, 3]);
    expect(py.dtype).toBe('uint8');
    expect(py.sum).toBe(img.reduce((a: number, v: number) => a + v, 0));
  });
});
