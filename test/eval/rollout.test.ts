import { describe, expect, it } from 'vitest';
import { RandomPolicy } from '../../policies/baselines/random.ts';
import { rollout } from '../../src/eval/rollout.ts';
import { mixSeed } from '../../envs/core/seeding.ts';
import { checkHorizons } from '../../policies/core/policy.ts';
import { makeEnv } from '../../envs/index.ts';

const policy = () => new RandomPolicy({ obsDim: 5, low: [0, 0], high: [512, 512] });

describe('rollout', () => {
  const seeds = [100000, 100001, 100002, 100003, 100004];

  it('is reproducible and independent of how episodes are batched', async () => {
    const a = await rollout({ envId: 'PushT-v0', policy: policy(), seeds, nEnvs: 5, maxEpisodeSteps: 40 });
    const b = await rollout({ envId: 'PushT-v0', policy: policy(), seeds, nEnvs: 2, maxEpisodeSteps: 40 });
    expect(a.map((e) => e.seed)).toEqual(seeds);
    expect(b).toEqual(a);
    for (const e of a) {
      expect(e.length).toBe(40);
      expect(e.truncated).toBe(true);
      expect(e.maxReward).toBeGreaterThanOrEqual(0);
      expect(e.maxReward).toBeLessThanOrEqual(1);
    }
  });

  it('executes exactly the actions of the chunk, in order, on the seeded start', async () => {
    // Replay episode 0 by hand: the same chunks applied to a fresh env reach the same coverage.
    const p = policy();
    const [ep] = await rollout({ envId: 'PushT-v0', policy: p, seeds: [100003], nEnvs: 1, maxEpisodeSteps: 24 });
    const env = makeEnv('PushT-v0', { maxEpisodeSteps: 24 });
    env.reset({ seed: 100003 });
    let last = 0;
    for (let k = 0; k < 3; k++) {
      const [chunk] = await p.predictChunk({ batchSize: 1, obsHorizon: 1, obsDim: 5, data: new Float32Array(5) }, { noiseSeeds: [mixSeed(ep.noiseSeed, k)] });
      for (let t = 0; t < 8; t++) last = env.step(chunk.subarray(2 * t, 2 * t + 2)).info.coverage as number;
    }
    expect(ep.finalCoverage).toBe(last);
  });

  it('rejects mismatched policies and repeated seeds', async () => {
    const wrong = new RandomPolicy({ obsDim: 18, low: [0, 0], high: [512, 512] });
    await expect(rollout({ envId: 'PushT-v0', policy: wrong, seeds: [1] })).rejects.toThrow('expects observations of length 18, PushT-v0 gives 5');
    await expect(rollout({ envId: 'PushT-v0', policy: policy(), seeds: [1, 1] })).rejects.toThrow('seeds must be distinct');
  });

  it('checks the horizons (Ta ≤ Tp − To + 1)', () => {
    expect(() => checkHorizons({ id: 'x', obsHorizon: 2, predictionHorizon: 16, actionHorizon: 8 })).not.toThrow();
    expect(() => checkHorizons({ id: 'x', obsHorizon: 2, predictionHorizon: 16, actionHorizon: 16 })).toThrow(
      'x: actionHorizon (Ta=16) must be <= predictionHorizon - obsHorizon + 1 (16 - 2 + 1 = 15)',
    );
  });
});

describe('rollout with the scripted expert (a state policy) and mode labels', () => {
  it('runs the expert closed loop exactly as a hand-written episode, and labels each episode from its observations', async () => {
    const { ExpertPolicy } = await import('../../src/eval/expert-policy.ts');
    const { PushTExpert } = await import('../../envs/push-t/expert.ts');
    const { labelMode } = await import('../../envs/push-t/modes.ts');
    const seeds = [10, 11, 12];
    const eps = await rollout({ envId: 'PushT-v0', policy: new ExpertPolicy('PushT-v0', 5, 2), seeds, nEnvs: 2, labeler: (o, d) => labelMode(o, d, 'state') });
    for (const [i, seed] of seeds.entries()) {
      // The same episode by hand: env + expert, every observation kept.
      const env = makeEnv('PushT-v0');
      const trace: number[] = [...(env.reset({ seed }).obs as Float32Array)];
      const expert = new PushTExpert(seed);
      expert.reset(env.getState());
      let length = 0;
      for (;;) {
        const r = env.step(expert.act(env.getState()).action);
        trace.push(...(r.obs as Float32Array));
        length++;
        if (r.terminated || r.truncated) break;
      }
      env.close();
      expect(eps[i].length).toBe(length);
      expect(eps[i].mode).toBe(labelMode(trace, 5, 'state'));
      expect(eps[i].success).toBe(true);
    }
  });
});

describe('evaluation latency statistics', () => {
  it('counts one policy call per action chunk, with its batch size', async () => {
    const { evaluate } = await import('../../src/eval/evaluate.ts');
    const info = await evaluate({ envId: 'PushT-v0', policy: policy(), seeds: [100000, 100001, 100002], nEnvs: 2, maxEpisodeSteps: 16 });
    // Waves of 2 and 1 envs, 16 steps = 2 chunks of Ta = 8 each: 2 calls of batch 2, then 2 of batch 1.
    const lat = info.aggregated.policy_latency!;
    expect(lat.calls).toBe(4);
    expect(lat.mean_batch).toBe(1.5);
    expect(lat.ms_per_call_mean).toBeGreaterThanOrEqual(0);
  });
});

describe('per-stretch mode labels', () => {
  it('labels every 8 steps from the observations and scores commitment and switch rate', async () => {
    const { evaluate } = await import('../../src/eval/evaluate.ts');
    const { ExpertPolicy } = await import('../../src/eval/expert-policy.ts');
    const { labelMode } = await import('../../envs/push-t/modes.ts');
    const labeler = (o: Float32Array, d: number) => labelMode(o, d, 'state');
    const info = await evaluate({ envId: 'PushT-v0', policy: new ExpertPolicy('PushT-v0', 5, 2), seeds: [12], nEnvs: 1, labeler });
    const ep = info.per_episode[0];
    expect(ep.chunkModes!.length).toBe(Math.ceil(ep.length / 8));
    // Recompute the first stretch's label by hand: an independent episode, observations 0…8.
    const env = makeEnv('PushT-v0');
    const { PushTExpert } = await import('../../envs/push-t/expert.ts');
    const trace: number[] = [...(env.reset({ seed: 12 }).obs as Float32Array)];
    const ex = new PushTExpert(12);
    ex.reset(env.getState());
    for (let t = 0; t < 8; t++) trace.push(...(env.step(ex.act(env.getState()).action).obs as Float32Array));
    expect(ep.chunkModes![0]).toBe(labelMode(trace, 5, 'state'));
    // Commitment is a share in [0.5, 1] for two modes, and the switch rate a rate in [0, 1].
    const a = info.aggregated;
    expect(a.commitment).not.toBeNull();
    expect(a.commitment!).toBeGreaterThanOrEqual(0.5);
    expect(a.commitment!).toBeLessThanOrEqual(1);
    expect(a.switch_rate!).toBeGreaterThanOrEqual(0);
    expect(a.switch_rate!).toBeLessThanOrEqual(1);
  });
});
