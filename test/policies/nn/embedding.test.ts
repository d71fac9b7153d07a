import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { SinusoidalPosEmb } from '../../../policies/nn/embedding.ts';
import { maxRelErr, sinusoidalRef } from './reference.ts';
import { inScope, vals } from './grad-check.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('SinusoidalPosEmb', () => {
  it("equals diffusion_policy's positional embedding for integer and fractional steps", () => {
    const t = [0, 1, 7, 99, 0.5];
    const emb = new SinusoidalPosEmb(16);
    const y = tf.tidy(() => emb.forward(tf.tensor1d(t)));
    expect(y.shape).toEqual([5, 16]);
    // float32 argument t·f (|t·f| ≤ 99) carries ~1e-5 absolute rounding into sin/cos.
    expect(maxRelErr(vals(y), sinusoidalRef(t, 16))).toBeLessThan(2e-5);
    expect(emb.parameterCount()).toBe(0);
    y.dispose();
  });

  it('accepts int32 steps and rejects odd or tiny dims', () => {
    const emb = new SinusoidalPosEmb(4);
    const y = inScope(() => vals(emb.forward(tf.tensor1d([3], 'int32'))));
    expect(maxRelErr(y, sinusoidalRef([3], 4))).toBeLessThan(1e-6);
    expect(() => new SinusoidalPosEmb(7)).toThrow('SinusoidalPosEmb: dim must be an even integer ≥ 4, got 7');
  });
});
