import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import {
  DDIMScheduler,
  DDPMScheduler,
  ddimStepCoefficients,
  ddpmStepCoefficients,
  leadingTimesteps,
  squaredcosCapV2Betas,
} from '../../../policies/diffusion/schedulers.ts';
import { readFixture } from '../../helpers/fixtures.ts';

// Closed-form DDPM/DDIM in float64, computed outside the project (see shared/fixtures/README.md).
interface ReverseStepCase {
  k: number;
  x_k: number[][];
  eps: number[][];
  z: number[][];
  ddpm_prev: number[][];
  x0_clipped: number[][];
  ddim_prev_k: number;
  ddim_prev: number[][];
}
interface DdpmFixture {
  schedule: string;
  num_train_timesteps: number;
  betas: number[];
  alphas_cumprod: number[];
  steps: ReverseStepCase[];
}
const fx = readFixture<DdpmFixture>('ddpm_squaredcos_100.json');
const TOL = 1e-5; // the fixture README's tolerance for float32 math
const EPS32 = 2 ** -23;

beforeAll(async () => {
  await initBackend('wasm');
});

function maxAbsDiff(t: tf.Tensor, want: number[][] | number[]): number {
  const got = t.dataSync();
  const w = want.flat();
  expect(got.length).toBe(w.length);
  let m = 0;
  for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(got[i] - w[i]));
  return m;
}

/** Deterministic N(0, 1)-ish values (Box–Muller over a small LCG), independent of the code under test. */
function gaussians(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 1) / 4294967297;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

describe('squaredcos_cap_v2 schedule', () => {
  const s = squaredcosCapV2Betas(100);

  it('matches the fixture betas and alphas_cumprod', () => {
    expect(fx.schedule).toBe('squaredcos_cap_v2');
    expect(fx.num_train_timesteps).toBe(100);
    expect(s.betas.length).toBe(100);
    for (let k = 0; k < 100; k++) {
      expect(Math.abs(s.betas[k] - fx.betas[k])).toBeLessThanOrEqual(TOL);
      expect(Math.abs(s.alphasCumprod[k] - fx.alphas_cumprod[k])).toBeLessThanOrEqual(TOL);
      // ᾱ_99 ≈ 2.4e-7, so an absolute 1e-5 says nothing there: both are float64 closed forms.
      expect(Math.abs(s.alphasCumprod[k] / fx.alphas_cumprod[k] - 1)).toBeLessThanOrEqual(1e-9);
      expect(s.alphas[k]).toBe(1 - s.betas[k]);
    }
  });

  it("has the fact sheet's derived values to their printed precision (§3.6)", () => {
    const printed: [number, number, number][] = [
      // value, printed, half a unit in the last printed digit
      [s.betas[0], 6.31e-4, 0.005e-4],
      [s.betas[50], 0.0315, 0.00005],
      [s.betas[98], 0.75, 0.0005],
      [s.betas[99], 0.999, 0],
      [s.alphasCumprod[0], 0.99937, 0.000005],
      [s.alphasCumprod[50], 0.478, 0.0005],
      [s.alphasCumprod[99], 2.43e-7, 0.005e-7],
    ];
    for (const [v, p, half] of printed) expect(Math.abs(v - p)).toBeLessThanOrEqual(half + 1e-15);
  });

  it('rejects a bad length', () => {
    expect(() => squaredcosCapV2Betas(0)).toThrow(/numTrainTimesteps/);
    expect(() => squaredcosCapV2Betas(2.5)).toThrow(/numTrainTimesteps/);
  });
});

describe('DDPMScheduler', () => {
  it('reproduces every reverse step of the fixture (x̂0 clipped, fixed_small, given z)', () => {
    const sch = new DDPMScheduler();
    for (const c of fx.steps) {
      tf.tidy(() => {
        const x = tf.tensor2d(c.x_k);
        const eps = tf.tensor2d(c.eps);
        const z = tf.tensor2d(c.z);
        expect(maxAbsDiff(sch.predictX0(eps, c.k, x), c.x0_clipped), `x̂0 at k=${c.k}`).toBeLessThanOrEqual(TOL);
        expect(maxAbsDiff(sch.step(eps, c.k, x, z), c.ddpm_prev), `DDPM step at k=${c.k}`).toBeLessThanOrEqual(TOL);
      });
    }
  });

  it('uses the posterior variance σ_k² = β_k(1 − ᾱ_{k−1})/(1 − ᾱ_k), floored at 1e-20, no noise at k = 0', () => {
    const sch = new DDPMScheduler();
    for (let k = 0; k < 100; k++) {
      const prev = k > 0 ? fx.alphas_cumprod[k - 1] : 1;
      const want = Math.max((fx.betas[k] * (1 - prev)) / (1 - fx.alphas_cumprod[k]), 1e-20);
      const c = sch.coefficients(k);
      expect(Math.abs(c.variance / want - 1)).toBeLessThanOrEqual(1e-9);
      expect(c.sigma).toBe(k > 0 ? Math.sqrt(c.variance) : 0);
      // Posterior mean coefficients, the fact sheet's form with the fixture's β and ᾱ.
      const a = fx.alphas_cumprod[k];
      expect(c.meanFromX0).toBeCloseTo((Math.sqrt(prev) * fx.betas[k]) / (1 - a), 9);
      expect(c.meanFromSample).toBeCloseTo((Math.sqrt(1 - fx.betas[k]) * (1 - prev)) / (1 - a), 9);
    }
    expect(sch.coefficients(0).variance).toBe(1e-20);
  });

  it('adds exactly σ_k·z, and ignores z at k = 0', () => {
    const sch = new DDPMScheduler();
    const [x, eps, z] = [1, 2, 3].map((s) => tf.tensor(gaussians(32, s), [2, 16, 1]));
    const zero = tf.zerosLike(z);
    for (const k of [1, 30, 99]) {
      const d = tf.tidy(() => tf.sub(sch.step(eps, k, x, z), sch.step(eps, k, x, zero)));
      const sigma = Math.sqrt(
        (fx.betas[k] * (1 - fx.alphas_cumprod[k - 1])) / (1 - fx.alphas_cumprod[k]),
      );
      expect(maxAbsDiff(d, Array.from(z.dataSync(), (v) => sigma * v))).toBeLessThanOrEqual(TOL);
      d.dispose();
    }
    const a = sch.step(eps, 0, x, z);
    const b = sch.step(eps, 0, x, null);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, eps, z, zero, a, b]);
  });

  it('visits 99 … 0 for 100 inference steps, leading spacing otherwise', () => {
    const sch = new DDPMScheduler();
    expect(Array.from(sch.timesteps())).toEqual(Array.from({ length: 100 }, (_, i) => 99 - i));
    expect(Array.from(sch.timesteps(10))).toEqual([90, 80, 70, 60, 50, 40, 30, 20, 10, 0]);
    expect(sch.coefficients(90, 10).alphaBarPrev).toBe(sch.alphasCumprod[80]);
  });

  it('rejects bad steps, shapes, options and missing noise', () => {
    const sch = new DDPMScheduler();
    const x = tf.zeros([2, 3]);
    for (const k of [-1, 100, 1.5, NaN]) expect(() => sch.step(x, k, x, x)).toThrow(/k must be an integer in \[0, 99\]/);
    expect(() => sch.step(x, 5, x, null)).toThrow(/noise z is required/);
    expect(() => sch.step(tf.zeros([2, 4]), 5, x, x)).toThrow(/epsPred must have the shape of sample \[2,3\], got \[2,4\]/);
    expect(() => sch.step(x, 5, x, x, 0)).toThrow(/numInference must be an integer in \[1, 100\], got 0/);
    expect(() => sch.step(x, 5, x, x, 101)).toThrow(/numInference/);
    expect(() => sch.timesteps(101)).toThrow(/numInferenceSteps must be an integer in \[1, 100\]/);
    expect(() => new DDPMScheduler({ betaSchedule: 'linear' } as never)).toThrow(/DDPMScheduler: bad option betaSchedule/);
    expect(() => new DDPMScheduler({ clipsample: false } as never)).toThrow(/DDPMScheduler: bad option/);
    expect(() => sch.step(tf.zeros([2, 3], 'int32'), 5, x, x)).toThrow(/epsPred must be float32/);
    tf.dispose(x);
  });
});

describe('DDIMScheduler', () => {
  it('reproduces every DDIM step of the fixture (η = 0, ε̂ in the direction term, ᾱ_{<0} = 1)', () => {
    const sch = new DDIMScheduler();
    for (const c of fx.steps) {
      const n = 100 / (c.k - c.ddim_prev_k);
      expect(Number.isInteger(n)).toBe(true);
      sch.setTimesteps(n);
      tf.tidy(() => {
        const out = sch.step(tf.tensor2d(c.eps), c.k, tf.tensor2d(c.x_k));
        expect(maxAbsDiff(out, c.ddim_prev), `DDIM ${c.k} → ${c.ddim_prev_k}`).toBeLessThanOrEqual(TOL);
      });
    }
  });

  it("uses diffusers' leading spacing", () => {
    const sch = new DDIMScheduler();
    expect(Array.from(sch.setTimesteps(10))).toEqual([90, 80, 70, 60, 50, 40, 30, 20, 10, 0]);
    // 100 // 8 = 12: arange(0, 8)·12 reversed
    expect(Array.from(sch.setTimesteps(8))).toEqual([84, 72, 60, 48, 36, 24, 12, 0]);
    expect(sch.numInferenceSteps).toBe(8);
    expect(Array.from(sch.setTimesteps(1))).toEqual([0]);
    expect(Array.from(leadingTimesteps(100, 3, 1))).toEqual([67, 34, 1]);
  });

  it('recovers x0 in one step to prev = −1 when ε̂ is the ε that noised it', () => {
    const sch = new DDIMScheduler();
    sch.setTimesteps(1);
    const x0 = Float32Array.from(gaussians(64, 7), (v) => Math.tanh(v)); // inside [−1, 1]: clipping is inert
    const eps = gaussians(64, 8);
    for (let k = 0; k < 100; k++) {
      // x_k in float64 from the fixture's ᾱ, then rounded to float32 as a real sample would be.
      const a = fx.alphas_cumprod[k];
      const xk = Float32Array.from(x0, (v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * eps[i]);
      const out = tf.tidy(() => sch.step(tf.tensor(eps, [4, 16, 1]), k, tf.tensor(xk, [4, 16, 1])));
      // Rounding x_k to float32 is amplified by 1/√ᾱ_k (2029 at k = 99): allow that, and 1e-5 at least.
      const tol = Math.max(TOL, (8 * EPS32) / Math.sqrt(a));
      expect(maxAbsDiff(out, Array.from(x0)), `k=${k}`).toBeLessThanOrEqual(tol);
      if (k <= 95) expect(maxAbsDiff(out, Array.from(x0))).toBeLessThanOrEqual(TOL);
      out.dispose();
    }
  });

  it('exposes the float64 coefficients (√ᾱ_prev, √(1 − ᾱ_prev); ᾱ_{<0} = 1 or ᾱ_0)', () => {
    const c = ddimStepCoefficients(fx.alphas_cumprod, 50, 40);
    expect(c.prevFromX0).toBeCloseTo(Math.sqrt(fx.alphas_cumprod[40]), 12);
    expect(c.prevFromEps).toBeCloseTo(Math.sqrt(1 - fx.alphas_cumprod[40]), 12);
    expect(ddimStepCoefficients(fx.alphas_cumprod, 5, -5).alphaBarPrev).toBe(1);
    const noOne = new DDIMScheduler({ setAlphaToOne: false });
    noOne.setTimesteps(10);
    expect(noOne.coefficients(5).alphaBarPrev).toBe(noOne.alphasCumprod[0]);
  });

  it('rejects bad inference counts, steps before setTimesteps and bad k', () => {
    const sch = new DDIMScheduler();
    const x = tf.zeros([1, 2]);
    expect(() => sch.step(x, 50, x)).toThrow(/call setTimesteps\(n\) before stepping/);
    for (const n of [0, 101, 2.5, -3]) expect(() => sch.setTimesteps(n)).toThrow(/numInferenceSteps must be an integer in \[1, 100\], got/);
    sch.setTimesteps(10);
    expect(() => sch.step(x, 100, x)).toThrow(/k must be an integer in \[0, 99\], got 100/);
    expect(() => new DDIMScheduler({ stepsOffset: -1 })).toThrow(/bad option stepsOffset/);
    tf.dispose(x);
  });
});

describe('addNoise', () => {
  it('gives √ᾱ_k·x0 + √(1 − ᾱ_k)·ε row by row', () => {
    const sch = new DDPMScheduler();
    const B = 5;
    const x0 = gaussians(B * 16 * 2, 11);
    const eps = gaussians(B * 16 * 2, 12);
    const ks = [0, 17, 50, 98, 99];
    const want: number[] = [];
    for (let b = 0; b < B; b++) {
      const a = fx.alphas_cumprod[ks[b]];
      for (let i = 0; i < 32; i++) want.push(Math.sqrt(a) * x0[b * 32 + i] + Math.sqrt(1 - a) * eps[b * 32 + i]);
    }
    tf.tidy(() => {
      const x = tf.tensor(x0, [B, 16, 2]);
      const e = tf.tensor(eps, [B, 16, 2]);
      expect(maxAbsDiff(sch.addNoise(x, e, tf.tensor1d(ks, 'int32')), want)).toBeLessThanOrEqual(TOL);
      expect(maxAbsDiff(new DDIMScheduler().addNoise(x, e, Int32Array.from(ks)), want)).toBeLessThanOrEqual(TOL);
    });
  });

  it('rejects bad timesteps', () => {
    const sch = new DDPMScheduler();
    tf.tidy(() => {
      const x = tf.zeros([2, 3]);
      expect(() => sch.addNoise(x, x, tf.tensor1d([1, 2], 'float32'))).toThrow(/timesteps must be an int32 tensor \[B\]/);
      expect(() => sch.addNoise(x, x, [1])).toThrow(/one timestep per batch row \(2\), got 1/);
      expect(() => sch.addNoise(x, x, [1, 100])).toThrow(/timesteps\[1\] must be an integer in \[0, 99\], got 100/);
      expect(() => sch.addNoise(x, tf.zeros([2, 2]), [1, 2])).toThrow(/noise must have the shape of x0/);
    });
  });
});

describe('tensor hygiene', () => {
  it('leaves exactly the returned tensor behind', () => {
    const ddpm = new DDPMScheduler();
    const ddim = new DDIMScheduler();
    ddim.setTimesteps(16);
    const [x, eps, z] = [4, 5, 6].map((s) => tf.tensor(gaussians(64, s), [2, 16, 2]));
    const ks = tf.tensor1d([3, 70], 'int32');
    const before = tf.memory().numTensors;
    const outs = [ddpm.step(eps, 42, x, z), ddpm.step(eps, 0, x, null), ddim.step(eps, 96, x), ddpm.addNoise(x, eps, ks), ddpm.predictX0(eps, 9, x)];
    expect(tf.memory().numTensors).toBe(before + outs.length);
    tf.dispose(outs);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, eps, z, ks]);
  });

  it('runs on the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('pure coefficient helpers', () => {
  it('DDPM k = 0 returns x̂0 itself (μ = 1·x̂0 + 0·x_0)', () => {
    const c = ddpmStepCoefficients(fx.alphas_cumprod, 0);
    expect(c.alphaBarPrev).toBe(1);
    expect(c.meanFromX0).toBeCloseTo(1, 12);
    expect(c.meanFromSample).toBe(0);
  });

  it('rejects prevK ≥ k', () => {
    expect(() => ddpmStepCoefficients(fx.alphas_cumprod, 5, 5)).toThrow(/prevK must be an integer < k = 5/);
  });
});
