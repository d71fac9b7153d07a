import { describe, expect, it } from 'vitest';
import * as dpbench from '../src/index.ts';

describe('public API (src/index.ts)', () => {
  it('makes envs by id and exposes the harness entry points', () => {
    const env = dpbench.makeEnv('PushT-v0', { obsType: 'keypoints' });
    const { obs } = env.reset({ seed: 100000 });
    expect((obs as Float32Array).length).toBe(18);
    env.close();
    expect(dpbench.envIds()).toContain('PushT-v0');
    for (const fn of [dpbench.trainRun, dpbench.evalRun, dpbench.runBench, dpbench.collect, dpbench.initBackend, dpbench.rollout]) expect(typeof fn).toBe('function');
  });
});
