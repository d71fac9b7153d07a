import { describe, expect, it } from 'vitest';
import { makeEnv } from '../../envs/index.ts';
import { PushTExpert } from '../../envs/push-t/expert.ts';
import type { ObsBatch, Policy, PredictOptions } from '../../policies/core/policy.ts';
import { diversityProbe, multimodalSeed } from '../../src/eval/diversity.ts';
import { chunkLatency, startHistory } from '../../src/eval/latency.ts';

/** A policy that answers chunk endpoints at ±100 px from a centre depending on its noise seed's parity. */
class TwoModePolicy implements Policy {
  readonly config = { id: 'two_mode', obsHorizon: 2, predictionHorizon: 4, actionHorizon: 2, obsDim: 5, actionDim: 2 };
  calls: number[] = [];
  reset(): void {}
  async predictChunk(obs: ObsBatch, opts: PredictOptions = {}): Promise<Float32Array[]> {
    this.calls.push(obs.batchSize);
    return Array.from({ length: obs.batchSize }, (_, b) => {
      const s = opts.noiseSeeds?.[b] ?? 0;
      const x = 256 + (s % 2 === 0 ? 100 : -100) + (s % 5); // two clusters, a few px of spread inside each
      return Float32Array.from([0, 0, x, 256]);
    });
  }
}

describe('multimodalSeed', () => {
  it('picks a Push-T start where the expert goes either way depending on its own coin, skipping starts where it cannot', () => {
    const seeds = Array.from({ length: 20 }, (_, i) => 100000 + i);
    const chosen = multimodalSeed('PushT-v0', seeds);
    const env = makeEnv('PushT-v0');
    const modesAt = (seed: number) => {
      env.reset({ seed });
      const state = env.getState();
      // The expert's mode coin depends on its seed; the start state is the same.
      return new Set(Array.from({ length: 12 }, (_, k) => new PushTExpert(k).reset(state)));
    };
    expect(modesAt(chosen)).toEqual(new Set(['cw', 'ccw']));
    for (const s of seeds.filter((s) => s < chosen)) expect(modesAt(s).size).toBe(1);
    env.close();
  });
});

describe('diversityProbe', () => {
  it('counts the clusters of K sampled endpoints (two modes → two clusters of K/2)', async () => {
    const p = new TwoModePolicy();
    const d = await diversityProbe(p, { envId: 'PushT-v0', envOptions: { obsType: 'state' }, seed: 100000, K: 16, radius: 30 });
    expect(p.calls).toEqual([16]);
    expect(d.clusters).toBe(2);
    expect(d.sizes).toEqual([8, 8]);
    expect(d.endpoints).toHaveLength(32);
    expect(d.maxPairwise).toBeGreaterThanOrEqual(200 - 5);
  });
});

describe('chunkLatency', () => {
  it('times reps calls at the asked batch after one warm-up call, on the env start repeated To times', async () => {
    const p = new TwoModePolicy();
    const env = makeEnv('PushT-v0', { obsType: 'state' });
    const first = env.reset({ seed: 100003 }).obs as Float32Array;
    env.close();
    const h = startHistory('PushT-v0', { obsType: 'state' }, 100003, 2);
    expect(Array.from(h)).toEqual([...first, ...first]);
    const r = await chunkLatency(p, h, { sampler: 'x', batch: 7, reps: 3 });
    expect(p.calls).toEqual([7, 7, 7, 7]);
    expect(r).toMatchObject({ sampler: 'x', batch: 7, reps: 3 });
    expect(r.ms_mean).toBeGreaterThanOrEqual(0);
    await expect(chunkLatency(p, h, { sampler: 'x', batch: 0, reps: 1 })).rejects.toThrow(/batch must be a positive integer, got 0/);
  });
});
