import { afterAll, describe, expect, it } from 'vitest';
import { makeEnv } from '../../envs/index.ts';
import { PushTExpert } from '../../envs/push-t/expert.ts';
import type { ObsBatch, Policy, PredictOptions } from '../../policies/core/policy.ts';
import { diversityProbe, multimodalSeed } from '../../src/eval/diversity.ts';
import { chunkLatency, startHistory } from '../../src/eval/latency.ts';
import { COLOURS, mask, rendererPool } from '../render/helpers.ts';

/** A policy that answers chunk endpoints at ±100 px from a centre depending on its noise seed's parity; it keeps every batch it was given. */
class TwoModePolicy implements Policy {
  readonly config;
  calls: number[] = [];
  batches: ObsBatch[] = [];
  constructor(obsDim = 5) {
    this.config = { id: 'two_mode', obsHorizon: 2, predictionHorizon: 4, actionHorizon: 2, obsDim, actionDim: 2 };
  }
  reset(): void {}
  async predictChunk(obs: ObsBatch, opts: PredictOptions = {}): Promise<Float32Array[]> {
    this.calls.push(obs.batchSize);
    this.batches.push(obs);
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
    const h = await startHistory('PushT-v0', { obsType: 'state' }, 100003, 2);
    expect(Array.from(h.data)).toEqual([...first, ...first]);
    expect(h.images).toBeUndefined();
    const r = await chunkLatency(p, h, { sampler: 'x', batch: 7, reps: 3 });
    expect(p.calls).toEqual([7, 7, 7, 7]);
    expect(r).toMatchObject({ sampler: 'x', batch: 7, reps: 3 });
    expect(r.ms_mean).toBeGreaterThanOrEqual(0);
    await expect(chunkLatency(p, h, { sampler: 'x', batch: 0, reps: 1 })).rejects.toThrow(/batch must be a positive integer, got 0/);
  });
});

describe('probes on image observations (pixels_agent_pos)', () => {
  const pool = rendererPool();
  afterAll(pool.closeAll);
  const px = 96 * 96 * 3;
  const pixelEnv = { obsType: 'pixels_agent_pos' };
  /** Each batch row holds the history: the low-dim part and the To images, byte for byte. */
  const expectRows = (obs: ObsBatch, h: { data: Float32Array; images?: Uint8Array }, B: number) => {
    expect(obs.batchSize).toBe(B);
    expect(obs.images!.length).toBe(B * 2 * px);
    for (let b = 0; b < B; b++) {
      expect(Array.from(obs.data.subarray(b * h.data.length, (b + 1) * h.data.length))).toEqual(Array.from(h.data));
      expect(Buffer.from(obs.images!.subarray(b * 2 * px, (b + 1) * 2 * px)).equals(Buffer.from(h.images!))).toBe(true);
    }
  };

  it('startHistory draws the start with the renderer: agent_pos To times, and an image that shows the agent where agent_pos says', async () => {
    const r = await pool.launch();
    const h = await startHistory('PushT-v0', pixelEnv, 100003, 2, r);
    const env = makeEnv('PushT-v0', { obsType: 'state' });
    env.reset({ seed: 100003 });
    const [ax, ay] = env.getState(); // the state's first two numbers: the agent's position
    env.close();
    expect(Array.from(h.data)).toEqual(Array.from(Float32Array.of(ax, ay, ax, ay)));
    expect(h.images).toHaveLength(2 * px);
    expect(Buffer.from(h.images!.subarray(0, px)).equals(Buffer.from(h.images!.subarray(px)))).toBe(true);
    // The disc (radius 15 world px → ≈ 2.8 image px at 96²) is drawn around agent_pos: 512 world px over 96 pixels.
    const disc = mask(h.images!.subarray(0, px), 96, [COLOURS.royalBlue, COLOURS.royalBlueLight]);
    expect(disc.count).toBeGreaterThan(0.85 * Math.PI * (15 / (512 / 96)) ** 2);
    expect(Math.hypot((disc.cx * 512) / 96 - ax, (disc.cy * 512) / 96 - ay)).toBeLessThan(2.5);
    await expect(startHistory('PushT-v0', pixelEnv, 100003, 2)).rejects.toThrow(/PushT-v0 with \{"obsType":"pixels_agent_pos"\} has a camera \(96×96\); give a renderer/);
  });

  it('chunkLatency and diversityProbe give an image policy the start image in every batch row', async () => {
    const r = await pool.launch();
    const h = await startHistory('PushT-v0', pixelEnv, 100000, 2, r);
    const p = new TwoModePolicy(2);
    await chunkLatency(p, h, { sampler: 'x', batch: 3, reps: 1 });
    expect(p.calls).toEqual([3, 3]);
    for (const obs of p.batches) expectRows(obs, h, 3);

    const q = new TwoModePolicy(2);
    const d = await diversityProbe(q, { envId: 'PushT-v0', envOptions: pixelEnv, seed: 100000, K: 6, radius: 30, renderer: r });
    expect(q.calls).toEqual([6]);
    expectRows(q.batches[0], h, 6);
    expect(d.clusters).toBe(2);
    await expect(diversityProbe(q, { envId: 'PushT-v0', envOptions: pixelEnv, seed: 100000, K: 6, radius: 30 })).rejects.toThrow(/give a renderer/);
  });
});
