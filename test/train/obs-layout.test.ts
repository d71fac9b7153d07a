import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../src/data/replay-buffer.ts';
import { obsDimOf, observationMatrix, WindowBatches } from '../../src/train/batches.ts';
import { eventRates } from '../../src/eval/evaluate.ts';
import { wilson } from '../../src/eval/metrics.ts';
import type { EpisodeRecord } from '../../src/eval/rollout.ts';

/** One episode of a task whose state has D numbers per step, valued 100·t + d. */
function stateBuffer(D: number, T: number): ReplayBuffer {
  const b = new ReplayBuffer();
  b.addEpisode({ state: { data: Float32Array.from({ length: T * D }, (_, i) => 100 * Math.floor(i / D) + (i % D)), shape: [D] }, action: { data: new Float32Array(T * 5), shape: [5] } });
  return b;
}

describe('the state observation layout', () => {
  it("is the task's whole state vector: 26 numbers for BlockStack-v0's layout, 5 for Push-T's", () => {
    expect(obsDimOf('state', stateBuffer(26, 4))).toBe(26);
    expect(obsDimOf('state', stateBuffer(5, 4))).toBe(5);
    const m = observationMatrix(stateBuffer(26, 3), 'state');
    expect(Array.from(m.subarray(26, 52))).toEqual(Array.from({ length: 26 }, (_, d) => 100 + d));
    const w = new WindowBatches(stateBuffer(26, 12), { obsType: 'state', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 });
    expect(w.obsDim).toBe(26);
  });

  it('names the missing key when a dataset lacks what an obs type needs', () => {
    expect(() => obsDimOf('keypoints', stateBuffer(5, 4))).toThrow(/obs type keypoints needs 'keypoint' but the dataset has only \[state, action\]/);
  });
});

describe('eventRates', () => {
  const ep = (events?: Record<string, boolean>) => ({ events }) as EpisodeRecord;
  it('gives each task event the Wilson interval of the share of episodes where it happened', () => {
    const r = eventRates([ep({ p1: true, p2: false }), ep({ p1: true, p2: true }), ep({ p1: false, p2: false }), ep({ p1: true, p2: false })])!;
    expect(r.p1).toEqual(wilson(3, 4));
    expect(r.p2).toEqual(wilson(1, 4));
  });
  it('is absent for tasks without events', () => {
    expect(eventRates([ep(), ep()])).toBeUndefined();
  });
});
