import { describe, expect, it } from 'vitest';
import { makeEnv } from '../../../envs/index.ts';
import { PushTExpert } from '../../../envs/push-t/expert.ts';
import { labelMode } from '../../../envs/push-t/modes.ts';
import { wilson } from '../../../src/eval/metrics.ts';

/** One expert episode from `seed`: success, chosen mode, label of the observations, largest reach. */
function episode(seed: number) {
  const env = makeEnv('PushT-v0');
  let { obs } = env.reset({ seed });
  const expert = new PushTExpert(seed);
  const mode = expert.reset(env.getState());
  const observations: number[] = [...(obs as Float32Array)];
  let success = false;
  let maxReach = 0;
  let untouched = true;
  for (let t = 0; t < 300; t++) {
    const state = env.getState();
    const { action } = expert.act(state);
    maxReach = Math.max(maxReach, Math.hypot(action[0] - state[0], action[1] - state[1]));
    untouched &&= env.getState().every((v, i) => v === state[i]); // act() never changes the env
    const r = env.step(action);
    obs = r.obs;
    observations.push(...(obs as Float32Array));
    if (r.terminated) {
      success = true;
      break;
    }
    if (r.truncated) break;
  }
  env.close();
  return { success, mode, label: labelMode(observations, 5, 'state'), maxReach, untouched, bothReasonable: Math.abs(expert.plannedTurn) >= Math.PI / 2 };
}

describe('PushT expert on seeds 0–199 (the issue-4 bar)', () => {
  const runs = Array.from({ length: 200 }, (_, seed) => episode(seed));

  it('succeeds (coverage > 0.95 within 300 steps) on at least 90% of seeds', () => {
    const n = runs.filter((r) => r.success).length;
    const iv = wilson(n, runs.length);
    console.log(`expert success on seeds 0-199: ${n}/200 = ${(100 * iv.value).toFixed(1)}% [95% CI ${(100 * iv.low).toFixed(1)}, ${(100 * iv.high).toFixed(1)}]`);
    expect(iv.value).toBeGreaterThanOrEqual(0.9);
  });

  it('splits episodes between both turning modes where both are reasonable (each 30–70%)', () => {
    const both = runs.filter((r) => r.bothReasonable);
    expect(both.length).toBeGreaterThan(60);
    const cw = both.filter((r) => r.mode === 'cw').length / both.length;
    console.log(`modes where both are reasonable: cw ${(100 * cw).toFixed(1)}% of ${both.length}`);
    expect(cw).toBeGreaterThanOrEqual(0.3);
    expect(cw).toBeLessThanOrEqual(0.7);
  });

  it('has its mode recovered from observations alone in at least 95% of demonstrations', () => {
    const demos = runs.filter((r) => r.success);
    const agree = demos.filter((r) => r.label === r.mode).length / demos.length;
    console.log(`mode label agreement: ${(100 * agree).toFixed(1)}% of ${demos.length}`);
    expect(agree).toBeGreaterThanOrEqual(0.95);
  });

  it('acts like a person: targets within 35 px of the disc, never touching the env', () => {
    for (const r of runs) {
      expect(r.maxReach).toBeLessThanOrEqual(35 + 1e-9);
      expect(r.untouched).toBe(true);
    }
  });

  it('is deterministic: the same seed gives the same episode', () => {
    expect(episode(7)).toEqual(runs[7]);
  });
});
