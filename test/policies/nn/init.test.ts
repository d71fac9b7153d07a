import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { Rng, kaimingUniformBound, makeInit } from '../../../policies/nn/init.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Rng (xoshiro128**)', () => {
  it('matches the reference sequence of xoshiro128** from state [1, 2, 3, 4]', () => {
    // First outputs of Vigna's reference xoshiro128starstar.c for s = {1, 2, 3, 4}.
    const r = new Rng(0);
    r.setState([1, 2, 3, 4, NaN]);
    expect(Array.from({ length: 6 }, () => r.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('resumes exactly from getState, spare normal included', () => {
    const a = new Rng(7);
    a.normal();
    const s = a.getState();
    const next = [a.normal(), a.float(), a.normal()];
    const b = new Rng(123);
    b.setState(s);
    expect([b.normal(), b.float(), b.normal()]).toEqual(next);
  });

  it('gives standard normals and uniforms (moments over 2e5 draws)', () => {
    const r = new Rng(3);
    const n = 200_000;
    let m = 0, v = 0, u = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      m += z;
      v += z * z;
      u += r.float();
    }
    // Standard errors: mean 1/√n ≈ 2.2e-3, E[z²] √(2/n) ≈ 3.2e-3, uniform mean √(1/12n) ≈ 6.5e-4; 5σ bounds.
    expect(Math.abs(m / n)).toBeLessThan(0.011);
    expect(Math.abs(v / n - 1)).toBeLessThan(0.016);
    expect(Math.abs(u / n - 0.5)).toBeLessThan(0.0033);
  });

  it('rejects non-integer seeds', () => {
    expect(() => new Rng(0.5)).toThrow(/seed must be an integer, got 0.5/);
  });
});

describe('makeInit', () => {
  it('gives the same values for the same seed on cpu and wasm', async () => {
    const draw = () => {
      const init = makeInit(42);
      const u = init.uniform([3, 5], -0.3, 0.3);
      const z = init.normal([7], 0.02);
      const out = [Array.from(u.dataSync()), Array.from(z.dataSync())];
      tf.dispose([u, z]);
      return out;
    };
    const onWasm = draw();
    await tf.setBackend('cpu');
    const onCpu = draw();
    await tf.setBackend('wasm');
    expect(onCpu).toEqual(onWasm);
    expect(draw()).not.toEqual(((init) => [Array.from(init.uniform([3, 5], -0.3, 0.3).dataSync())])(makeInit(43)));
    for (const x of onWasm[0]) expect(Math.abs(x)).toBeLessThan(0.3);
  });

  it('kaimingUniformBound is 1/√fan_in (torch: kaiming_uniform_(a=√5) → gain·√(3/fan_in))', () => {
    const gain = Math.sqrt(2 / (1 + 5));
    expect(kaimingUniformBound(1280)).toBeCloseTo(gain * Math.sqrt(3 / 1280), 12);
    expect(() => kaimingUniformBound(0)).toThrow(/fanIn must be > 0, got 0/);
  });
});
