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
    const w = new WindowBatches(buffer(true), { env: 'PushT-v0', obsType: 'keypoints', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 });
    // Episode lengths 12 and 9 with horizon 8, pad 1 before and 3 after: (12 + 4 − 8 + 1) + (9 + 4 − 8 + 1) windows.
    expect(w.length).toBe(9 + 6);
    const first = w.gather([0]);
    // Window 0 starts one step before the episode: its two observations are both step 0.
    const obs0 = Array.from(first.obs.subarray(0, 18));
    expect(obs0.slice(0, 16)).toEqual(Array.from({ length: 16 }, (_, d) => Math.fround(100 + d / 100)));
    expect(obs0.slice(16)).toEqual([0, 1]);
    expect(Array.from(first.obs.subarray(18, 36))).toEqual(obs0);
    expect(Array.from(first.action.subarray(0, 4))).toEqual([0, 1, 0, 1]);
    expect(observationMatrix(buffer(true), 'keypoints', 'PushT-v0').length).toBe((12 + 9) * 18);
  });

  it('refuses a dataset that lacks what the observation type needs', () => {
    expect(() => new WindowBatches(buffer(false), { env: 'PushT-v0', obsType: 'keypoints', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 })).toThrow(/keypoint/);
    expect(() => new WindowBatches(buffer(true), { env: 'PushT-v0', obsType: 'pixels', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 })).toThrow('unknown obs type "pixels"; known: state, keypoints, pixels_agent_pos');
    expect(() => new WindowBatches(buffer(true), { env: 'PushT-v0', obsType: 'pixels_agent_pos', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 })).toThrow(
      "obs type pixels_agent_pos needs camera images ('img') but the dataset has only [state, action, keypoint]; collect it with images",
    );
  });

  it('draws each step\'s batch from (seed, step) alone', () => {
    const a = new WindowBatches(buffer(true), { env: 'PushT-v0', obsType: 'state', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 });
    const b = new WindowBatches(buffer(true), { env: 'PushT-v0', obsType: 'state', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 });
    b.batch(5, 4, 7); // b has visited another epoch first
    expect(Array.from(b.batch(1, 4, 7).action)).toEqual(Array.from(a.batch(1, 4, 7).action));
    expect(Array.from(a.batch(1, 4, 8).action)).not.toEqual(Array.from(a.batch(1, 4, 7).action));
  });

  it('build image observations: agent position (state[0:2]) and the raw images of the first To steps, padded alike', () => {
    // Two episodes of 12 and 9 steps; image of buffer step n: 2×3×3 bytes all equal to n (one value per step).
    const b = buffer(false);
    const steps = 12 + 9;
    const withImages = new ReplayBuffer();
    for (const e of [0, 1]) {
      const ep = b.getEpisode(e);
      const start = e === 0 ? 0 : 12;
      const T = ep.action.length / 2;
      const img = Uint8Array.from({ length: T * 18 }, (_, i) => start + Math.floor(i / 18));
      withImages.addEpisode({ state: { data: ep.state, shape: [5] }, action: { data: ep.action, shape: [2] }, img: { data: img, shape: [2, 3, 3] } });
    }
    expect(withImages.nSteps).toBe(steps);
    const w = new WindowBatches(withImages, { env: 'PushT-v0', obsType: 'pixels_agent_pos', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 });
    expect(w.obsDim).toBe(2);
    expect(w.imageShape).toEqual([2, 3, 3]);
    // Window 0 starts one step before episode 0 (both observed frames are step 0); window 9 likewise for episode 1.
    const batch = w.gather([0, 1, 9]);
    expect(batch.images!.length).toBe(3 * 2 * 18);
    const frameOf = (row: number, t: number) => batch.images![(row * 2 + t) * 18];
    expect([frameOf(0, 0), frameOf(0, 1), frameOf(1, 0), frameOf(1, 1), frameOf(2, 0), frameOf(2, 1)]).toEqual([0, 0, 0, 1, 12, 12]);
    expect(new Set(batch.images!.subarray(18, 36))).toEqual(new Set([0]));
    expect(Array.from(batch.obs.subarray(0, 4))).toEqual([0, 1, 0, 1]); // agent xy of step 0, twice
    expect(Array.from(batch.obs.subarray(4, 8))).toEqual([0, 1, 10, 11]);
    expect(observationMatrix(withImages, 'pixels_agent_pos', 'PushT-v0').length).toBe(steps * 2);
    // Batches carry images only for image obs types.
    expect(new WindowBatches(withImages, { env: 'PushT-v0', obsType: 'state', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 }).gather([0]).images).toBeUndefined();
  });
});
