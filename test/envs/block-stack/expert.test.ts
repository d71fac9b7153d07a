import { describe, expect, it } from 'vitest';
import { makeEnv, BLOCKSTACK_MODES } from '../../../envs/index.ts';
import { BlockStackExpert, orderIndices } from '../../../envs/block-stack/expert.ts';
import { labelOrder } from '../../../envs/block-stack/modes.ts';
import { wilson } from '../../../src/eval/metrics.ts';

/** One expert episode from `seed`: success, chosen order, label from observations, largest reach. */
function episode(seed: number) {
  const env = makeEnv('BlockStack-v0');
  const { obs } = env.reset({ seed });
  const expert = new BlockStackExpert(seed);
  const mode = expert.reset(env.getState());
  const observations: number[] = [...(obs as Float32Array)];
  let success = false;
  let reach = 0;
  let turn = 0;
  let untouched = true;
  let length = 0;
  for (let t = 0; t < env.spec.maxEpisodeSteps; t++) {
    const state = env.getState();
    const { action } = expert.act(state);
    reach = Math.max(reach, Math.hypot(action[0] - state[0], action[1] - state[1], action[2] - state[2]));
    turn = Math.max(turn, Math.abs(action[3] - state[3]));
    untouched &&= t % 10 !== 0 || env.getState().every((v, i) => v === state[i]); // act() never changes the env
    const r = env.step(action);
    observations.push(...(r.obs as Float32Array));
    length = t + 1;
    if (r.terminated) {
      success = true;
      break;
    }
    if (r.truncated) break;
  }
  env.close();
  return { success, mode, label: labelOrder(observations), reach, turn, untouched, length };
}

describe('BlockStack expert (seeds 0–29; seeds 0–199 are measured by a script, see README)', () => {
  const runs = Array.from({ length: 30 }, (_, seed) => episode(seed));

  it('stacks all three cubes on at least 90% of seeds', () => {
    const n = runs.filter((r) => r.success).length;
    const iv = wilson(n, runs.length);
    console.log(`expert success on seeds 0-29: ${n}/30 [95% CI ${(100 * iv.low).toFixed(1)}, ${(100 * iv.high).toFixed(1)}]`);
    expect(iv.value).toBeGreaterThanOrEqual(0.9);
  });

  it('has its stacking order recovered from observations alone in at least 95% of demonstrations', () => {
    const demos = runs.filter((r) => r.success);
    expect(demos.filter((r) => r.label === r.mode).length / demos.length).toBeGreaterThanOrEqual(0.95);
  });

  it('acts like a teleoperator: targets within 3 cm and 0.3 rad of the EE, never touching the env', () => {
    for (const r of runs) {
      expect(r.reach).toBeLessThanOrEqual(0.03 + 1e-9);
      expect(r.turn).toBeLessThanOrEqual(0.3 + 1e-9);
      expect(r.untouched).toBe(true);
    }
  });

  it('is deterministic: the same seed gives the same episode', () => {
    expect(episode(7)).toEqual(runs[7]);
  });
});

describe('BlockStack expert order coin', () => {
  it('draws the 6 orders uniformly (6000 seeds: each within 4σ of 1000)', () => {
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 6000; seed++) {
      const m = new BlockStackExpert(seed).reset([]);
      counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([...BLOCKSTACK_MODES].sort());
    const sigma = Math.sqrt(6000 * (1 / 6) * (5 / 6));
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(4 * sigma);
  });

  it('depends on the seed only, not on the start state the env drew from it', () => {
    const env = makeEnv('BlockStack-v0');
    for (let seed = 0; seed < 20; seed++) {
      env.reset({ seed: seed + 1000 });
      expect(new BlockStackExpert(seed).reset(env.getState())).toBe(new BlockStackExpert(seed).reset([]));
    }
  });

  it('names orders bottom to top by cube letter', () => {
    expect(orderIndices('RGB')).toEqual([0, 1, 2]);
    expect(orderIndices('BRG')).toEqual([2, 0, 1]);
    expect(() => orderIndices('RRB')).toThrow('BlockStack: order must be three distinct letters of R, G, B, got "RRB"');
  });
});
