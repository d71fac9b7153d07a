import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { makeInit } from '../../../policies/nn/init.ts';
import { Linear } from '../../../policies/nn/linear.ts';
import { linearRef, maxRelErr, permute, randn, testRandom } from './reference.ts';
import { checkGrads, inScope, vals } from './grad-check.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Linear', () => {
  it('forward equals torch Linear (y = x·Wᵀ + b, W = weightᵀ) on a rank-3 input', () => {
    const lin = new Linear(6, 4, makeInit(1));
    const x = randn(2 * 3 * 6, testRandom(1));
    const y = inScope(() => vals(lin.forward(tf.tensor(x, [2, 3, 6]))));
    const W = permute(vals(lin.weight), [6, 4], [1, 0]);
    expect(maxRelErr(y, linearRef(x, 6, W, 6, 4, vals(lin.bias!)))).toBeLessThan(1e-6);
    lin.dispose();
  });

  it('has in·out + out parameters (in·out without bias) and torch-shaped export notes', () => {
    const a = new Linear(7, 3, makeInit(0));
    const b = new Linear(7, 3, makeInit(0), { bias: false });
    expect(a.parameterCount()).toBe(7 * 3 + 3);
    expect(b.parameterCount()).toBe(7 * 3);
    expect([...a.namedParameters().keys()]).toEqual(['weight', 'bias']);
    expect(a.torchShapes()).toEqual({ weight: [3, 7], bias: [3] });
    a.dispose();
    b.dispose();
  });

  it("init 'torch' draws from U(±1/√in); {std} draws N(0, std) with zero bias", () => {
    const t = new Linear(400, 50, makeInit(2));
    const bound = 1 / Math.sqrt(400);
    const w = vals(t.weight);
    expect(w.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThanOrEqual(bound);
    // U(−b, b) has variance b²/3; 20000 samples: relative standard error of the variance ≈ 0.6%.
    expect(w.reduce((s, v) => s + v * v, 0) / w.length / (bound * bound / 3)).toBeCloseTo(1, 1);
    const n = new Linear(400, 50, makeInit(2), { init: { std: 0.02 } });
    const wn = vals(n.weight);
    expect(Math.sqrt(wn.reduce((s, v) => s + v * v, 0) / wn.length) / 0.02).toBeCloseTo(1, 1);
    expect(Math.max(...vals(n.bias!).map(Math.abs))).toBe(0);
    t.dispose();
    n.dispose();
  });

  it('gradients w.r.t. input, weight and bias match finite differences', () => {
    const lin = new Linear(5, 3, makeInit(3));
    const x = tf.tensor(randn(2 * 4 * 5, testRandom(4)), [2, 4, 5]);
    checkGrads({ inputs: { x }, params: lin.namedParameters(), forward: (i) => lin.forward(i.x) });
    x.dispose();
    lin.dispose();
  });

  it('names the expected and actual input shape in errors', () => {
    const lin = new Linear(5, 3, makeInit(0));
    expect(() => lin.forward(tf.zeros([2, 4]))).toThrow('Linear(5→3): input must end in 5, got [2, 4]');
    expect(() => new Linear(0, 3, makeInit(0))).toThrow('Linear: inFeatures must be a positive integer, got 0');
    lin.dispose();
  });
});
