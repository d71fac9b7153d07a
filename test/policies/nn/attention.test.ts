import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { Rng, makeInit } from '../../../policies/nn/init.ts';
import { MultiheadAttention, attentionMask } from '../../../policies/nn/attention.ts';
import { maxRelErr, mhaRef, permute, randn, testRandom } from './reference.ts';
import { checkGrads, inScope, vals } from './grad-check.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** torch-layout weights from the documented mapping (ours are the transposes). */
function torchWeights(m: MultiheadAttention) {
  const E = m.embedDim;
  return {
    inW: permute(vals(m.in_proj_weight), [E, 3 * E], [1, 0]),
    inB: m.in_proj_bias ? vals(m.in_proj_bias) : undefined,
    outW: permute(vals(m.out_proj.weight), [E, E], [1, 0]),
    outB: m.out_proj.bias ? vals(m.out_proj.bias) : undefined,
  };
}

/** Random biases (torch initialises them to 0, which would hide bias bugs). */
function randomizeBiases(m: MultiheadAttention, seed: number): void {
  const rand = testRandom(seed);
  tf.tidy(() => {
    m.in_proj_bias?.assign(tf.tensor(randn(3 * m.embedDim, rand, 0.5)));
    m.out_proj.bias?.assign(tf.tensor(randn(m.embedDim, rand, 0.5)));
  });
}

describe('MultiheadAttention', () => {
  const [B, Tq, Tk, E, H] = [2, 4, 3, 8, 2];
  const rand = testRandom(1);
  const xq = randn(B * Tq * E, rand), xk = randn(B * Tk * E, rand), xv = randn(B * Tk * E, rand);

  it('cross-attention forward equals torch nn.MultiheadAttention, with an additive mask', () => {
    const mha = new MultiheadAttention(E, H, makeInit(1));
    randomizeBiases(mha, 2);
    // DP-T's memory mask: action token t sees condition token s iff t ≥ s − 1.
    const allowed = (q: number, s: number) => q >= s - 1;
    const maskVals = Float64Array.from({ length: Tq * Tk }, (_, i) => (allowed(Math.floor(i / Tk), i % Tk) ? 0 : -Infinity));
    const w = torchWeights(mha);
    for (const withMask of [false, true]) {
      const y = inScope(() =>
        vals(mha.forward(tf.tensor3d(xq, [B, Tq, E]), tf.tensor3d(xk, [B, Tk, E]), tf.tensor3d(xv, [B, Tk, E]), withMask ? attentionMask(Tq, Tk, allowed) : undefined)),
      );
      const ref = mhaRef(xq, xk, xv, B, Tq, Tk, E, H, w.inW, w.inB, w.outW, w.outB, withMask ? maskVals : undefined);
      expect(maxRelErr(y, ref)).toBeLessThan(2e-6);
    }
    mha.dispose();
  });

  it('self-attention (fused projection) and key = value (fused k|v) equal the reference; bool mask true = may attend', () => {
    const mha = new MultiheadAttention(E, H, makeInit(3));
    randomizeBiases(mha, 4);
    const w = torchWeights(mha);
    const causal = (q: number, k: number) => k <= q;
    const bool = tf.tensor2d(Array.from({ length: Tq * Tq }, (_, i) => causal(Math.floor(i / Tq), i % Tq)), [Tq, Tq], 'bool');
    const maskVals = Float64Array.from({ length: Tq * Tq }, (_, i) => (causal(Math.floor(i / Tq), i % Tq) ? 0 : -Infinity));
    const self = inScope(() => {
      const x = tf.tensor3d(xq, [B, Tq, E]);
      return vals(mha.forward(x, x, x, bool));
    });
    expect(maxRelErr(self, mhaRef(xq, xq, xq, B, Tq, Tq, E, H, w.inW, w.inB, w.outW, w.outB, maskVals))).toBeLessThan(2e-6);
    const kv = inScope(() => {
      const m = tf.tensor3d(xk, [B, Tk, E]);
      return vals(mha.forward(tf.tensor3d(xq, [B, Tq, E]), m, m));
    });
    expect(maxRelErr(kv, mhaRef(xq, xk, xk, B, Tq, Tk, E, H, w.inW, w.inB, w.outW, w.outB))).toBeLessThan(2e-6);
    bool.dispose();
    mha.dispose();
  });

  it('gradients (query, key, value, every parameter) match finite differences', () => {
    const mha = new MultiheadAttention(E, H, makeInit(5));
    randomizeBiases(mha, 6);
    const inputs = { q: tf.tensor3d(xq, [B, Tq, E]), k: tf.tensor3d(xk, [B, Tk, E]), v: tf.tensor3d(xv, [B, Tk, E]) };
    const mask = attentionMask(Tq, Tk, (q, s) => q >= s - 1);
    checkGrads({
      inputs,
      params: mha.namedParameters(),
      forward: (i) => mha.forward(i.q as tf.Tensor3D, i.k as tf.Tensor3D, i.v as tf.Tensor3D, mask),
      coords: 5,
    });
    // Self-attention through the fused projection, in training with dropout under a rewound stream.
    const rng = new Rng(7);
    const drop = new MultiheadAttention(E, H, makeInit(5), { dropout: 0.2, rng }).train();
    const s = rng.getState();
    checkGrads({ inputs: { x: inputs.q }, params: drop.namedParameters(), forward: (i) => drop.forward(i.x as tf.Tensor3D, i.x as tf.Tensor3D, i.x as tf.Tensor3D), beforeEach: () => rng.setState(s), coords: 4 });
    tf.dispose([inputs.q, inputs.k, inputs.v, mask]);
    mha.dispose();
    drop.dispose();
  });

  it("has torch's parameters: in_proj 3E² + 3E, out_proj E² + E (4E² + 4E); 4E² without bias", () => {
    const mha = new MultiheadAttention(256, 4, makeInit(0));
    expect(mha.parameterCount()).toBe(4 * 256 * 256 + 4 * 256);
    expect([...mha.namedParameters().keys()]).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    expect(new MultiheadAttention(16, 4, makeInit(0), { bias: false }).parameterCount()).toBe(4 * 16 * 16);
    // torch init: in_proj xavier_uniform (bound √(6/(E + 3E))), biases 0.
    expect(maxAbs(vals(mha.in_proj_weight))).toBeLessThanOrEqual(Math.sqrt(6 / (4 * 256)));
    expect(maxAbs(vals(mha.in_proj_bias!)) + maxAbs(vals(mha.out_proj.bias!))).toBe(0);
    mha.dispose();
  });

  it('names shapes in errors and requires an Rng for dropout', () => {
    const mha = new MultiheadAttention(E, H, makeInit(0));
    const q = tf.zeros([B, Tq, E]) as tf.Tensor3D;
    expect(() => mha.forward(q, q, q, tf.zeros([Tq, Tq + 1]))).toThrow('MultiheadAttention(8, 2): mask must be [Tq, Tk] = [4, 4], got [4, 5]');
    expect(() => mha.forward(q, tf.zeros([B, 3, 6]) as tf.Tensor3D, q)).toThrow('MultiheadAttention(8, 2): key must be [2, Tk, 8], got [2, 3, 6]');
    expect(() => new MultiheadAttention(8, 3, makeInit(0))).toThrow('embedDim must be divisible by numHeads, got 8 and 3');
    expect(() => new MultiheadAttention(8, 2, makeInit(0), { dropout: 0.1 })).toThrow('dropout 0.1 needs opts.rng');
    mha.dispose();
  });
});
