import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { EMA, emaDecay } from '../../../policies/diffusion/ema.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

// diffusion_policy EMAModel.get_decay (fact sheet §3.7), written out again here.
function refDecay(optimizationStep: number, power = 0.75, invGamma = 1, minValue = 0, maxValue = 0.9999, updateAfterStep = 0): number {
  const step = Math.max(0, optimizationStep - updateAfterStep - 1);
  if (step <= 0) return 0;
  const value = 1 - Math.pow(1 + step / invGamma, -power);
  return Math.max(minValue, Math.min(value, maxValue));
}

const made: tf.Tensor[] = [];
function v(values: number[], trainable = true): tf.Variable {
  const init = tf.tensor1d(values);
  const t = tf.variable(init, trainable);
  init.dispose();
  made.push(t);
  return t;
}
/** Sets a variable as an optimizer step would, without leaving the new value's tensor behind. */
function set(x: tf.Variable, values: number[]): void {
  tf.tidy(() => x.assign(tf.tensor1d(values)));
}
afterEach(() => {
  tf.dispose(made.splice(0));
});

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

describe('emaDecay', () => {
  it('is 0 for the first two optimization steps (inner step ≤ 0)', () => {
    expect(emaDecay(0)).toBe(0);
    expect(emaDecay(1)).toBe(0);
  });

  it('follows 1 − (1 + step)^−0.75 at inner steps 1, 10, 10 000 and caps at 0.9999 near 215 443', () => {
    // optimizationStep = inner step + 1 with updateAfterStep 0
    expect(emaDecay(2)).toBeCloseTo(1 - 2 ** -0.75, 15);
    expect(emaDecay(2)).toBeCloseTo(0.40540, 5);
    expect(emaDecay(11)).toBeCloseTo(1 - 11 ** -0.75, 15);
    expect(emaDecay(10_001)).toBeCloseTo(refDecay(10_001), 15);
    expect(emaDecay(10_001)).toBeCloseTo(0.999, 6);
    expect(emaDecay(215_444)).toBeCloseTo(0.9999, 9);
    expect(emaDecay(215_444)).toBe(refDecay(215_444));
    expect(emaDecay(5_000_000)).toBe(0.9999);
    for (let s = 0; s < 300; s += 7) expect(emaDecay(s)).toBeCloseTo(refDecay(s), 15);
  });

  it('honours the other options', () => {
    const o = { power: 2 / 3, invGamma: 2, minValue: 0.1, maxValue: 0.99, updateAfterStep: 5 };
    for (const s of [0, 5, 6, 7, 8, 50, 10_000]) {
      expect(emaDecay(s, o)).toBeCloseTo(s <= 6 ? 0 : refDecay(s, 2 / 3, 2, 0.1, 0.99, 5), 15);
    }
  });

  it('rejects bad steps and options', () => {
    expect(() => emaDecay(-1)).toThrow(/optimizationStep must be an integer ≥ 0, got -1/);
    expect(() => emaDecay(1.5)).toThrow(/optimizationStep/);
    expect(() => emaDecay(3, { pwer: 1 } as never)).toThrow(/EMA: bad option/);
    expect(() => emaDecay(3, { minValue: 0.5, maxValue: 0.4 })).toThrow(/minValue must be ≤ maxValue/);
  });
});

describe('EMA', () => {
  it('averages trainable variables and copies buffers, as a hand loop does', () => {
    const w = v([1, -2, 3]);
    const buf = v([5], false);
    const ema = new EMA(new Map([['w', w], ['buf', buf]]));
    let shadow = [1, -2, 3];
    const seq = [
      [2, 0, 1],
      [0.5, 4, -1],
      [3, 3, 3],
      [-1, 2, 0.25],
      [10, -10, 0],
    ];
    for (let i = 0; i < seq.length; i++) {
      set(w, seq[i]);
      set(buf, [100 + i]);
      const d = refDecay(i);
      shadow = shadow.map((s, j) => d * s + (1 - d) * seq[i][j]);
      expect(ema.update()).toBe(d);
      expect(ema.optimizationStep).toBe(i + 1);
      expect(ema.decay()).toBe(d);
      const got = values(ema.shadow.get('w')!);
      for (let j = 0; j < 3; j++) expect(Math.abs(got[j] - shadow[j])).toBeLessThanOrEqual(1e-6);
      expect(values(ema.shadow.get('buf')!)).toEqual([100 + i]);
    }
    expect(refDecay(4)).toBeGreaterThan(0); // the loop did average
    expect(ema.shadow.get('w')!.trainable).toBe(false);
    ema.dispose();
  });

  it('takes an explicit optimization step and continues from it', () => {
    const w = v([0, 0]);
    const ema = new EMA(new Map([['w', w]]));
    set(w, [1, 2]);
    expect(ema.update(100)).toBe(refDecay(100));
    expect(ema.optimizationStep).toBe(101);
    const d = refDecay(100);
    expect(values(ema.shadow.get('w')!)[1]).toBeCloseTo((1 - d) * 2, 6);
    expect(ema.decay(500)).toBe(refDecay(500));
    ema.dispose();
  });

  it('copies the averaged weights into a target and swaps them in for evaluation', async () => {
    const w = v([1, 2]);
    const ema = new EMA(new Map([['w', w]]));
    ema.update(0); // decay 0: shadow = [1, 2]
    set(w, [7, 8]); // training moves on
    const target = v([0, 0]);
    ema.copyTo(new Map([['w', target]]));
    expect(values(target)).toEqual([1, 2]);

    const seen = await ema.withEmaWeights(() => values(w));
    expect(seen).toEqual([1, 2]);
    expect(values(w)).toEqual([7, 8]);
    await expect(
      ema.withEmaWeights(async () => {
        throw new Error('rollout failed');
      }),
    ).rejects.toThrow('rollout failed');
    expect(values(w)).toEqual([7, 8]);
    expect(() => ema.copyTo(new Map([['x', target]]))).toThrow(/target has no variable "w"/);
    ema.dispose();
  });

  it('round-trips its state', () => {
    const a = v([1, 2, 3, 4]);
    const b = v([0.5]);
    const ema = new EMA(new Map([['a', a], ['b', b]]));
    for (let i = 0; i < 4; i++) {
      set(a, [i, -i, 2 * i, 1]);
      ema.update();
    }
    const s = ema.state();
    expect(s.step).toBe(4);
    expect([...s.shadows.keys()]).toEqual(['a', 'b']);
    expect(s.shadows.get('a')!.data).toBeInstanceOf(Float32Array);
    expect(s.shadows.get('a')!.shape).toEqual([4]);

    const fresh = new EMA(new Map([['a', a], ['b', b]]));
    fresh.loadState(s);
    expect(fresh.optimizationStep).toBe(4);
    expect(fresh.decay()).toBe(ema.decay());
    expect(values(fresh.shadow.get('a')!)).toEqual(Array.from(s.shadows.get('a')!.data));
    // and both continue identically
    set(a, [9, 9, 9, 9]);
    ema.update();
    fresh.update();
    expect(values(fresh.shadow.get('a')!)).toEqual(values(ema.shadow.get('a')!));
    // the snapshot is a copy
    s.shadows.get('b')!.data[0] = 123;
    expect(values(ema.shadow.get('b')!)[0]).not.toBe(123);
    ema.dispose();
    fresh.dispose();
  });

  it('rejects mismatched states and variables', () => {
    const a = v([1, 2]);
    const ema = new EMA(new Map([['a', a]]));
    const shadows = (data: ArrayLike<number>, shape = [2]): Map<string, { data: ArrayLike<number>; shape: number[] }> => new Map([['a', { data, shape }]]);
    expect(() => ema.loadState({ step: 1, shadows: new Map() })).toThrow(/names differ \(missing \["a"\]/);
    expect(() => ema.loadState({ step: 1, shadows: new Map([...shadows(new Float32Array(2)), ['z', { data: new Float32Array(1), shape: [1] }]]) })).toThrow(
      /unexpected \["z"\]/,
    );
    expect(() => ema.loadState({ step: 1, shadows: shadows(new Float32Array(3), [3]) })).toThrow(/"a" must be a Float32Array of shape \[2\], got Float32Array\(3\)/);
    expect(() => ema.loadState({ step: 1, shadows: shadows(new Float64Array(2)) })).toThrow(/got Float64Array\(2\)/);
    expect(() => ema.loadState({ step: -1, shadows: shadows(new Float32Array(2)) })).toThrow(/step must be an integer ≥ 0/);
    expect(() => new EMA(new Map())).toThrow(/no variables/);
    const iv = tf.variable(tf.tensor1d([1], 'int32'));
    made.push(iv);
    expect(() => new EMA(new Map([['i', iv]]))).toThrow(/"i" must be float32, got int32/);
    ema.dispose();
    expect(() => ema.update()).toThrow(/after dispose/);
  });

  it('leaks no tensors', async () => {
    const a = v([1, 2, 3]);
    const buf = v([4], false);
    const vars = new Map([['a', a], ['buf', buf]]);
    const start = tf.memory().numTensors;
    const ema = new EMA(vars);
    expect(tf.memory().numTensors).toBe(start + 2);
    const steady = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      set(a, [i, i, i]);
      ema.update();
    }
    ema.copyTo(new Map([['a', v([0, 0, 0])], ['buf', v([0])]]));
    await ema.withEmaWeights(() => undefined);
    ema.loadState(ema.state());
    expect(tf.memory().numTensors).toBe(steady + 2); // the two copyTo targets made above
    ema.dispose();
    expect(tf.memory().numTensors).toBe(start + 2);
  });
});
