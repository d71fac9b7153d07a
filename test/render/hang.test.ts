import { afterAll, describe, expect, it } from 'vitest';
import { PUSHT_SCENE } from '../../envs/push-t/scene.ts';
import { pushtFrame, rendererPool } from './helpers.ts';

const { launch, closeAll } = rendererPool();
afterAll(closeAll);

describe('renderer hang recovery and giving up', () => {
  it('a hung page is taken for dead after timeoutMs, relaunched, and the render issued again', async () => {
    const r = await launch({ timeoutMs: 4000 });
    const frames = [pushtFrame([100, 100], [300, 300, 0.5]), pushtFrame([400, 420], [200, 150, 2])];
    const before = await r.render(PUSHT_SCENE, frames, { width: 96, height: 96 });
    // An endless loop in the page's main thread: every later evaluate waits forever.
    r.page!.evaluate('for (;;) {}').catch(() => undefined);
    const t0 = performance.now();
    const after = await r.render(PUSHT_SCENE, frames, { width: 96, height: 96 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(3900);
    expect(r.restarts).toBe(1);
    after.forEach((img, i) => expect(Buffer.from(img).equals(Buffer.from(before[i]))).toBe(true));
  });

  it('gives up after `attempts` browsers, naming the request and the last error', async () => {
    const r = await launch({ attempts: 1 });
    r.browserProcess!.kill('SIGKILL');
    await new Promise((res) => setTimeout(res, 200));
    // The dead browser is noticed before the request (disconnected): relaunched without using an attempt.
    const [img] = await r.render(PUSHT_SCENE, [pushtFrame([100, 100], [300, 300, 0])], { width: 32, height: 32 });
    expect(img.length).toBe(32 * 32 * 3);
    // Killed while the request is in flight, with one attempt allowed: a clear error.
    const p = r.render(PUSHT_SCENE, Array.from({ length: 400 }, () => pushtFrame([100, 100], [300, 300, 0])), { width: 96, height: 96 });
    setTimeout(() => r.browserProcess?.kill('SIGKILL'), 5);
    await expect(p).rejects.toThrow(/renderer: render PushT-v0 \(400 frames at 96×96\) failed in 1 browsers; last error: /);
  });
});
