import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../policies/nn/tf.ts';
import { initBackend, initBackend as init2 } from '../../src/backend.ts';
import { AdamW, adamwRange, adamwScalars } from '../../src/train/adamw.ts';
import { simdAvailable } from '../../src/train/adamw-simd.ts';
import { cosineWithWarmup } from '../../src/train/lr-schedule.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('AdamW', () => {
  it('follows torch.optim.AdamW step by step (decoupled decay, bias corrections, eps outside the sqrt correction)', () => {
    const p = tf.variable(tf.tensor1d([0.5, -1.25]));
    const lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.95, eps = 1e-8;
    const opt = new AdamW(new Map([['p', p]]), () => wd, { betas: [b1, b2], eps });
    const grads = [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.05]];
    // The same update written out in float64 (PyTorch's _single_tensor_adamw).
    const ref = [0.5, -1.25];
    const m = [0, 0], v = [0, 0];
    grads.forEach((g, t) => {
      for (let i = 0; i < 2; i++) {
        ref[i] *= 1 - lr * wd;
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        const bc1 = 1 - b1 ** (t + 1), bc2 = 1 - b2 ** (t + 1);
        ref[i] -= (lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps));
      }
      const gt = tf.tensor1d(g);
      opt.step({ p: gt }, lr);
      gt.dispose();
      const got = p.dataSync();
      expect(got[0]).toBeCloseTo(ref[0], 6);
      expect(got[1]).toBeCloseTo(ref[1], 6);
    });
    expect(opt.t).toBe(3);
    // Moments survive a save/load.
    const q = tf.variable(tf.tensor1d([0, 0]));
    const opt2 = new AdamW(new Map([['p', q]]), () => wd, { betas: [b1, b2], eps });
    opt2.loadStateArrays(opt.stateArrays(), opt.t);
    expect(Array.from(opt2.stateArrays().get('m.p')!.data)).toEqual(Array.from(opt.stateArrays().get('m.p')!.data));
    expect(() => opt.step({}, lr)).toThrow('AdamW: no gradient for parameter p');
    opt.dispose();
    opt2.dispose();
    p.dispose();
    q.dispose();
  });
});

describe('AdamW on the flat parameter vector', () => {
  it('gives the bits of the same update written as float32 tensor ops, parameter by parameter', () => {
    const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 12.9898) * 0.5);
    const params = new Map<string, tf.Variable>([
      ['w', tf.variable(tf.tensor2d(rand(12, 1), [3, 4]))],
      ['b', tf.variable(tf.tensor1d(rand(4, 2)))],
    ]);
    const wd = (n: string) => (n === 'w' ? 0.1 : 0);
    const [b1, b2, eps] = [0.9, 0.95, 1e-8];
    const opt = new AdamW(params, wd, { betas: [b1, b2], eps });
    // The reference: tfjs tensor ops, each rounded to float32 (PyTorch's _single_tensor_adamw).
    const ref = new Map<string, { p: tf.Tensor; m: tf.Tensor; v: tf.Tensor }>([...params].map(([n, v]) => [n, { p: v.clone(), m: tf.zerosLike(v), v: tf.zerosLike(v) }]));
    for (let t = 1; t <= 4; t++) {
      const lr = 1e-3 * t;
      const grads = Object.fromEntries([...params].map(([n, v], k) => [n, tf.tensor(rand(v.size, 10 * t + k), v.shape)]));
      opt.step(grads, lr);
      for (const [n, r] of ref) {
        const next = tf.tidy(() => {
          const g = grads[n];
          const decayed = wd(n) > 0 ? tf.mul(r.p, 1 - lr * wd(n)) : r.p;
          const m1 = tf.add(tf.mul(r.m, b1), tf.mul(g, 1 - b1));
          const v1 = tf.add(tf.mul(r.v, b2), tf.mul(tf.square(g), 1 - b2));
          const denom = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(1 - b2 ** t)), eps);
          return [tf.sub(decayed, tf.mul(tf.div(m1, denom), lr / (1 - b1 ** t))), m1, v1].map((x) => tf.keep(x));
        });
        r.p.dispose();
        r.m.dispose();
        r.v.dispose();
        [r.p, r.m, r.v] = next;
      }
      for (const g of Object.values(grads)) g.dispose();
    }
    const state = opt.stateArrays();
    for (const [n, r] of ref) {
      expect(Array.from(params.get(n)!.dataSync()), n).toEqual(Array.from(r.p.dataSync()));
      expect(Array.from(state.get(`m.${n}`)!.data)).toEqual(Array.from(r.m.dataSync()));
      expect(Array.from(state.get(`v.${n}`)!.data)).toEqual(Array.from(r.v.dataSync()));
      for (const t of [r.p, r.m, r.v, params.get(n)!] as tf.Tensor[]) t.dispose();
    }
    expect(() => opt.stepFlat(new Float32Array(3), new Float32Array(16), 1e-3)).toThrow('AdamW: expected 16 parameters and gradients, got 3 and 16');
  });
});

describe('AdamW in WebAssembly SIMD', () => {
  it('has the bits of the scalar float32 loop, tails and weight-decay groups included', () => {
    expect(simdAvailable()).toBe(true);
    const f = Math.fround;
    const sizes = [3, 4, 37, 20000, 5];
    const decay = [0.1, 0, 0.1, 1e-6, 0];
    const N = sizes.reduce((a, b) => a + b, 0);
    const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
    const rand = (seed: number) => Float32Array.from({ length: N }, (_, i) => Math.sin(seed * 7919 + i * 1.618) * 0.3);
    const [p, m, g] = [rand(1), rand(2), rand(3)];
    const v = rand(4).map(Math.abs);
    const ref = { p: p.slice(), m: m.slice(), v: v.slice() };
    for (let t = 1; t <= 3; t++) {
      const s = adamwScalars({ betas: [0.9, 0.95], eps: 1e-8 }, t, 1e-3 * t);
      adamwRange(p, m, v, g, 0, N, offsets, sizes, decay, s);
      // The scalar loop written out: float32 rounding after every operation.
      for (let k = 0; k < sizes.length; k++) {
        const keep = f(1 - s.lr * decay[k]);
        for (let i = offsets[k]; i < offsets[k] + sizes[k]; i++) {
          const m1 = f(f(ref.m[i] * s.b1) + f(g[i] * s.oneMinusB1));
          const v1 = f(f(ref.v[i] * s.b2) + f(f(g[i] * g[i]) * s.oneMinusB2));
          const denom = f(f(f(Math.sqrt(v1)) / s.sqrtBc2) + s.eps);
          const decayed = decay[k] > 0 ? f(ref.p[i] * keep) : ref.p[i];
          ref.m[i] = m1;
          ref.v[i] = v1;
          ref.p[i] = f(decayed - f(f(m1 / denom) * s.stepSize));
        }
      }
    }
    for (const [name, got, want] of [['p', p, ref.p], ['m', m, ref.m], ['v', v, ref.v]] as const) {
      const bad = got.findIndex((x, i) => !Object.is(x, want[i]));
      expect(bad, `${name}[${bad}]`).toBe(-1);
    }
  });
});

describe('cosine schedule with warm-up (diffusers get_cosine_schedule_with_warmup)', () => {
  it('ramps linearly, peaks at the end of warm-up, halves at mid-decay and reaches 0', () => {
    expect(cosineWithWarmup(0, 1e-4, 500, 10_500)).toBe(0);
    expect(cosineWithWarmup(250, 1e-4, 500, 10_500)).toBeCloseTo(0.5e-4, 15);
    expect(cosineWithWarmup(500, 1e-4, 500, 10_500)).toBeCloseTo(1e-4, 15);
    expect(cosineWithWarmup(5500, 1e-4, 500, 10_500)).toBeCloseTo(0.5e-4, 15);
    expect(cosineWithWarmup(10_500, 1e-4, 500, 10_500)).toBeCloseTo(0, 15);
  });
});

describe('backend choice', () => {
  it('uses wasm with SIMD, and refuses a named backend that cannot start instead of falling back', async () => {
    const info = await init2('wasm');
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    await expect(init2('tensorflow')).rejects.toThrow(/backend tensorflow: @tensorflow\/tfjs-node\(-gpu\) is not installed/);
    await expect(init2('cuda' as never)).rejects.toThrow('backend must be one of auto, wasm, cpu, webgpu, tensorflow, got "cuda"');
    expect(tf.getBackend()).toBe('wasm');
  });
});
