import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../policies/nn/tf.ts';
import { initBackend } from '../../src/backend.ts';
import { LinearNormalizer } from '../../policies/core/normalizer.ts';
import { MlpBcPolicy } from '../../policies/baselines/mlp-bc.ts';
import { batchGradients } from '../../src/train/grads.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('micro-batched gradients', () => {
  it('equal the whole-batch gradient of a deterministic loss (the mean of equal-size part means is the mean)', () => {
    const norm = (d: number) => LinearNormalizer.fromLimits(new Array(d).fill(0), new Array(d).fill(10));
    const policy = new MlpBcPolicy({ id: 'mlp_bc', obsDim: 3, actionDim: 2, width: 16, depth: 2, dropout: 0 }, { obs: norm(3), action: norm(2) });
    const B = 8;
    const batch = { batchSize: B, obs: Float32Array.from({ length: B * 2 * 3 }, (_, i) => (i * 7) % 10), action: Float32Array.from({ length: B * 16 * 2 }, (_, i) => (i * 3) % 10) };
    const whole = batchGradients(policy, batch, 1, 0);
    const before = tf.memory().numTensors;
    const micro = batchGradients(policy, batch, 1, 2);
    expect(tf.memory().numTensors - before).toBe(Object.keys(micro.grads).length); // only the returned gradients
    expect(micro.loss).toBeCloseTo(whole.loss, 5);
    for (const [name, g] of Object.entries(whole.grads)) {
      const a = g.dataSync();
      const b = micro.grads[name].dataSync();
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5 + 1e-4 * Math.abs(a[i]));
    }
    expect(() => batchGradients(policy, batch, 1, 3)).toThrow('batch size 8 must be a multiple of the micro-batch 3');
    for (const g of [...Object.values(whole.grads), ...Object.values(micro.grads)]) g.dispose();
    policy.dispose();
  });
});
