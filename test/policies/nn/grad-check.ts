/**
 * Central finite differences of the scalar loss L = Σ y·r (r fixed, random) against tf.variableGrads,
 * on a few random coordinates of every input and parameter.
 *
 * Why these numbers: the forward runs in float32, but L is summed in float64 from y's values, so its noise
 * is the float32 rounding of y, ≈ 6e-8·√N·|y||r| ≈ 1e-6 for the sizes used; divided by 2·eps = 2e-2 that is
 * ≈ 1e-4 absolute on gradients of order 0.1–1. The truncation error of a central difference,
 * eps²/6·|∂³L|, is ≈ 2e-5 for these smooth layers (unit-scale inputs). The step actually taken is the
 * float32 difference fround(x+eps) − fround(x−eps). A coordinate passes when |fd − g| ≤ 1e-2·max(|g|, rms(g
 * over its tensor)), a 10–100× margin over those estimates that still catches any wrong term (they are
 * O(|g|)).
 */
import { expect } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { randn, testRandom } from './reference.ts';

export const FD_EPS = 1e-2;
export const FD_RTOL = 1e-2;

export interface GradCheckOptions {
  /** Tensors the loss is differentiated with respect to, besides the parameters. */
  inputs: Record<string, tf.Tensor>;
  params: Map<string, tf.Variable>;
  forward: (inputs: Record<string, tf.Tensor>) => tf.Tensor;
  seed?: number;
  /** Coordinates checked per tensor. */
  coords?: number;
  /** Called before every evaluation (e.g. to rewind a dropout stream). */
  beforeEach?: () => void;
}

/** Runs the check and asserts; returns the worst |fd − g| / scale per tensor (for the log). */
export function checkGrads(o: GradCheckOptions): Record<string, number> {
  const rand = testRandom(o.seed ?? 1);
  const inputVars: Record<string, tf.Variable> = {};
  for (const [n, t] of Object.entries(o.inputs)) inputVars[n] = tf.variable(t.clone(), true);
  const all = new Map<string, tf.Variable>([...Object.entries(inputVars), ...o.params]);
  const eval64 = (r: Float32Array | null): { y: Float32Array; shape: number[]; L: number } => {
    o.beforeEach?.();
    const yT = tf.tidy(() => o.forward(inputVars));
    const y = yT.dataSync() as Float32Array;
    const shape = yT.shape;
    yT.dispose();
    let L = 0;
    if (r) for (let i = 0; i < y.length; i++) L += y[i] * r[i];
    return { y, shape, L };
  };
  const first = eval64(null);
  const r = randn(first.y.length, rand);
  const rT = tf.tensor(r, first.shape);
  o.beforeEach?.();
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(o.forward(inputVars), rT)) as tf.Scalar, [...all.values()]);
  value.dispose();
  rT.dispose();

  const worst: Record<string, number> = {};
  for (const [name, v] of all) {
    const g = grads[v.name].dataSync();
    let rms = 0;
    for (const x of g) rms += x * x;
    rms = Math.sqrt(rms / g.length);
    const data = Float32Array.from(v.dataSync());
    const set = () => tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
    worst[name] = 0;
    for (let c = 0; c < (o.coords ?? 4); c++) {
      const i = Math.floor(rand() * data.length);
      const orig = data[i];
      data[i] = orig + FD_EPS;
      const hi = data[i];
      set();
      const Lp = eval64(r).L;
      data[i] = orig - FD_EPS;
      const h = hi - data[i];
      set();
      const Lm = eval64(r).L;
      data[i] = orig;
      set();
      const fd = (Lp - Lm) / h;
      const err = Math.abs(fd - g[i]) / Math.max(Math.abs(g[i]), rms, 1e-12);
      worst[name] = Math.max(worst[name], err);
      expect(err, `${name}[${i}]: finite difference ${fd} vs gradient ${g[i]}`).toBeLessThanOrEqual(FD_RTOL);
    }
  }
  for (const t of Object.values(grads)) t.dispose();
  for (const v of Object.values(inputVars)) v.dispose();
  return worst;
}

/** Flat float64 copy of a tensor's values. */
export function vals(t: tf.Tensor): Float64Array {
  return Float64Array.from(t.dataSync());
}

/** Runs f in a tfjs scope (tensors made inside are disposed) and returns its plain value, unlike tf.tidy. */
export function inScope<T>(f: () => T): T {
  tf.engine().startScope();
  try {
    return f();
  } finally {
    tf.engine().endScope();
  }
}
