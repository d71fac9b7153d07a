import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../src/data/replay-buffer.ts';
import { obsDimOf, observationMatrix, WindowBatches } from '../../src/train/batches.ts';
import { eventRates } from '../../src/eval/evaluate.ts';
import { expertFor } from '../../src/collect/experts.ts';
import { makeEnv } from '../../envs/index.ts';
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
    expect(obsDimOf('state', stateBuffer(26, 4), 'BlockStack-v0')).toBe(26);
    expect(obsDimOf('state', stateBuffer(5, 4), 'PushT-v0')).toBe(5);
    const m = observationMatrix(stateBuffer(26, 3), 'state', 'BlockStack-v0');
    expect(Array.from(m.subarray(26, 52))).toEqual(Array.from({ length: 26 }, (_, d) => 100 + d));
    const w = new WindowBatches(stateBuffer(26, 12), { env: 'BlockStack-v0', obsType: 'state', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 });
    expect(w.obsDim).toBe(26);
  });

  it('names the missing key when a dataset lacks what an obs type needs', () => {
    expect(() => obsDimOf('keypoints', stateBuffer(5, 4), 'PushT-v0')).toThrow(/obs type keypoints needs 'keypoint' but the dataset has only \[state, action\]/);
  });
});

describe('the pixels_agent_pos layout', () => {
  it("is each task's agent_pos (PushT-v0: 2, BlockStack-v0: 5 numbers), as its pixel env returns it step by step, from the recorded state", () => {
    for (const envId of ['PushT-v0', 'BlockStack-v0']) {
      const spec = expertFor(envId);
      const T = 12;
      const recorder = makeEnv(envId);
      const pixelEnv = makeEnv(envId, { obsType: 'pixels_agent_pos' });
      const agentPos = (obs: unknown) => Array.from((obs as { agent_pos: Float32Array }).agent_pos);
      recorder.reset({ seed: 2 });
      const seen = [agentPos(pixelEnv.reset({ seed: 2 }).obs)];
      const expert = spec.make(2);
      expert.reset(recorder.getState());
      const arrays = Object.fromEntries(Object.entries(spec.schema).map(([k, shape]) => [k, new Float32Array(T * shape.reduce((a, b) => a * b, 1))]));
      const Da = spec.schema.action[0];
      for (let t = 0; t < T; t++) {
        spec.record(recorder.getState(), arrays, t);
        const action = Array.from(expert.act(recorder.getState()).action);
        arrays.action.set(action, t * Da);
        recorder.step(action);
        seen.push(agentPos(pixelEnv.step(action).obs));
      }
      const buffer = new ReplayBuffer({ ...spec.schema, img: [2, 2, 3] });
      buffer.addEpisode({ ...arrays, img: new Uint8Array(T * 12) });
      expect(Array.from(observationMatrix(buffer, 'pixels_agent_pos', envId))).toEqual(seen.slice(0, T).flat());
      const w = new WindowBatches(buffer, { env: envId, obsType: 'pixels_agent_pos', obsHorizon: 2, predictionHorizon: 8, actionHorizon: 4 });
      expect(w.obsDim).toBe(pixelEnv.spec.observationSpace.size);
      expect(w.obsDim).toBe(envId === 'PushT-v0' ? 2 : 5);
      recorder.close();
      pixelEnv.close();
    }
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
