import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { Rng } from '../../../policies/nn/init.ts';
import { Dropout } from '../../../policies/nn/dropout.ts';
import { randn, testRandom } from './reference.ts';
import { checkGrads, inScope, vals } from './grad-check.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Dropout', () => {
  it('is the identity in eval mode and when p = 0', () => {
    const x = tf.tensor(randn(100, testRandom(1)));
    const d = new Dropout(0.5, 1);
    expect(d.forward(x)).toBe(x);
    expect(new Dropout(0, 1).train().forward(x)).toBe(x);
    x.dispose();
  });

  it('zeroes ~p of the elements and scales the rest by 1/(1−p), deterministically per seed', () => {
    const x = tf.ones([20000]);
    const run = (seed: number) => inScope(() => vals(new Dropout(0.3, seed).train().forward(x)));
    const a = run(5);
    expect(run(5)).toEqual(a);
    expect(run(6)).not.toEqual(a);
    const zeros = a.filter((v) => v === 0).length;
    // Binomial(20000, 0.3): sd ≈ 65; 5 sd bound.
    expect(Math.abs(zeros - 6000)).toBeLessThan(325);
    expect([...new Set(a.filter((v) => v !== 0))]).toEqual([Math.fround(1 / 0.7)]);
    x.dispose();
  });

  it('a shared Rng advances between calls and resumes from its state', () => {
    const rng = new Rng(9);
    const d = new Dropout(0.5, rng).train();
    const x = tf.ones([64]);
    const s = rng.getState();
    const first = inScope(() => vals(d.forward(x)));
    const second = inScope(() => vals(d.forward(x)));
    expect(second).not.toEqual(first);
    rng.setState(s);
    expect(inScope(() => vals(d.forward(x)))).toEqual(first);
    x.dispose();
  });

  it('in training, gradients match finite differences under a fixed mask', () => {
    const rng = new Rng(11);
    const d = new Dropout(0.4, rng).train();
    const s = rng.getState();
    const x = tf.tensor(randn(30, testRandom(2)), [5, 6]);
    checkGrads({ inputs: { x }, params: new Map(), forward: (i) => d.forward(i.x), beforeEach: () => rng.setState(s), coords: 8 });
    x.dispose();
  });

  it('rejects p outside [0, 1]', () => {
    expect(() => new Dropout(1.5, 0)).toThrow('Dropout: p must be in [0, 1], got 1.5');
  });
});
