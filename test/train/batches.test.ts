import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../src/data/replay-buffer.ts';
import { observationMatrix, WindowBatches } from '../../src/train/batches.ts';

/** Two episodes whose values encode (episode, step, dim), so windows can be checked by construction. */
function buffer(withKeypoints: boolean): ReplayBuffer {
  const b = new ReplayBuffer();
  for (const [e, T] of [[0, 12], [1, 9]] as const) {
    const state = Float32Array.from({ length: T * 5 }, (_, i) => 1000 * e + 10 * Math.floor(i / 5) + (i % 5));
    const action = Float32Array.from({ length: T * 2 }, (_, i) => 1000 * e + 10 * Math.floor(i / 2) + (i % 2));
    const keypoint = Float32Array.from({ length: T * 16 }, (_, i) => 1000 * e + 100 + 10 * Math.floor(i / 16) + (i % 16) / 100);
    b.addEpisode(withKeypoints ? { state: { data: state, shape: [5] }, action: { data: action, shape: [2] }, keypoint: { data: keypoint, shape: [8, 2] } } : { state: { data: state, shape: [5] }, action: { data: action, shape: [2] } });
  }
  return b;
}

describe('training windows', () => {
  it('build keypoint observations as corners then agent position, padded by repeating the first frame', () => {
    const w = new WindowBatches(buffer(true), { obsType: 'keypoints', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 });
    // Episode lengths 12 and 9 with horizon 8, pad 1 before and 3 after: (12 + 4 − 8 + 1) + (9 + 4 − 8 + 1) windows.
    expect(w.length).toBe(9 + 6);
    const first = w.gather([0]);
    // Window 0 starts one step before the episode: its two observations are both step 0.
    const obs0 = Array.from(first.obs.subarray(0, 18));
    expect(obs0.slice(0, 16)).toEqual(Array.from({ length: 16 }, (_, d) => Math.fround(100 + d / 100)));
    expect(obs0.slice(16)).toEqual([0, 1]);
    expect(Array.from(first.obs.subarray(18, 36))).toEqual(obs0);
    expect(Array.from(first.action.subarray(0, 4))).toEqual([0, 1, 0, 1]);
    expect(observationMatrix(buffer(true), 'keypoints').length).toBe((12 + 9) * 18);
  });

  it('refuses a dataset that lacks what the observation type needs', () => {
    expect(() => new WindowBatches(buffer(false), { obsType: 'keypoints', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 })).toThrow(/keypoint/);
    expect(() => new WindowBatches(buffer(true), { obsType: 'pixels', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 })).toThrow('unknown obs type "pixels"; known: state, keypoints');
  });

  it('draws each step\'s batch from (seed, step) alone', () => {
    const a = new WindowBatches(buffer(true), { obsType: 'state', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 });
    const b = new WindowBatches(buffer(true), { obsType: 'state', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 });
    b.batch(5, 4, 7); // b has visited another epoch first
    expect(Array.from(b.batch(1, 4, 7).action)).toEqual(Array.from(a.batch(1, 4, 7).action));
    expect(Array.from(a.batch(1, 4, 8).action)).not.toEqual(Array.from(a.batch(1, 4, 7).action));
  });
});
