import { afterAll, describe, expect, it } from 'vitest';
import type { Renderer } from '../../src/render/renderer.ts';
import { rollout } from '../../src/eval/rollout.ts';
import { PixelChaser } from './pixel-policy.ts';
import { rendererPool } from './helpers.ts';

const { launch, closeAll } = rendererPool();
afterAll(closeAll);

const seeds = [100000, 100001, 100002, 100003];
const run = (renderer: Renderer, policy: PixelChaser) =>
  rollout({ envId: 'PushT-v0', envOptions: { obsType: 'pixels_agent_pos' }, policy, seeds, nEnvs: 4, maxEpisodeSteps: 32, renderer });

describe('renderer crash recovery', () => {
  it('a browser killed mid-rollout (between and during renders) is relaunched and the rollout comes out identical', async () => {
    const restarts: Array<{ reason: string; ms: number }> = [];
    const r = await launch({ onRestart: (reason, ms) => restarts.push({ reason, ms }) });
    const reference = new PixelChaser();
    const expected = await run(r, reference);
    expect(r.restarts).toBe(0);

    const policy = new PixelChaser();
    // Kill 1: between two renders (the policy's second decision).
    policy.onCall = (call) => {
      if (call === 2) r.browserProcess!.kill('SIGKILL');
    };
    // Kill 2: while a render is in flight (the 20th render call, a few ms after it was issued).
    const render = r.render.bind(r);
    let renders = 0;
    r.render = (scene, frames, size) => {
      const p = render(scene, frames, size);
      if (++renders === 20) setTimeout(() => r.browserProcess?.kill('SIGKILL'), 3);
      return p;
    };
    const got = await run(r, policy);
    expect(r.restarts).toBe(2);
    expect(restarts.length).toBe(2);
    for (const x of restarts) expect(x.ms).toBeGreaterThan(0);
    console.log(`renderer restarts: ${restarts.map((x) => `${x.ms.toFixed(0)} ms (${x.reason.slice(0, 60)})`).join('; ')}`);
    // No episode lost or corrupted: the same records, and the policy saw exactly the same images.
    expect(got).toEqual(expected);
    expect(policy.digests).toEqual(reference.digests);
    expect(renders).toBeGreaterThan(20);
  });

});
