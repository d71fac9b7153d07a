import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { im2col1d, im2col1dOps } from '../../../policies/nn/kernels.ts';
import { randn, testRandom } from './reference.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

/** im2col written out as its definition, element by element. */
function im2colRef(x: Float32Array, B: number, L: number, C: number, k: number, s: number, before: number, To: number, reversed: boolean, d: number): Float32Array {
  const out = new Float32Array(B * To * k * C);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < To; t++)
      for (let i = 0; i < k; i++) {
        const v = t * s + (reversed ? k - 1 - i : i) - before;
        for (let c = 0; c < C; c++) out[((b * To + t) * k + i) * C + c] = v >= 0 && v < L * d && v % d === 0 ? x[(b * L + v / d) * C + c] : 0;
      }
  return out;
}

describe('im2col kernel', () => {
  // [L, C, k, stride, before, To, reversed, dilation]: conv forward (k5 p2, k3 s2 p1), the input
  // gradients (reversed taps, zero insertion for stride 2), a crop (negative before), wide channels.
  const cases: [number, number, number, number, number, number, boolean, number][] = [
    [7, 3, 5, 1, 2, 7, false, 1],
    [8, 3, 3, 2, 1, 4, false, 1],
    [4, 3, 3, 1, 1, 8, true, 2],
    [5, 2, 4, 3, -1, 2, false, 1],
    [6, 40, 5, 1, 2, 6, true, 1],
    [3, 33, 2, 1, 3, 5, false, 3],
    [16, 64, 1, 1, 0, 16, false, 1],
  ];
  it.each(cases)('equals the definition and the tf-op path (L=%i, C=%i, k=%i, s=%i, before=%i, To=%i, reversed=%s, dilation=%i)', (L, C, k, s, before, To, reversed, d) => {
    const B = 3;
    const xv = randn(B * L * C, testRandom(L * 31 + C));
    const x = tf.tensor3d(xv, [B, L, C]);
    const ref = im2colRef(xv, B, L, C, k, s, before, To, reversed, d);
    const fast = im2col1d(x, k, s, before, To, reversed, d);
    const ops = im2col1dOps(x, k, s, before, To, reversed, d);
    expect(fast.shape).toEqual([B * To, k * C]);
    expect(Array.from(fast.dataSync())).toEqual(Array.from(ref));
    expect(Array.from(ops.dataSync())).toEqual(Array.from(ref));
    for (const t of [x, fast, ops]) t.dispose();
  });

  it('runs as one kernel on wasm and on cpu, with the same values on both', async () => {
    expect(tf.getKernel('DpbenchIm2Col1d', 'wasm')).toBeDefined();
    expect(tf.getKernel('DpbenchIm2Col1d', 'cpu')).toBeDefined();
    const [B, L, C, k, s, before, To, reversed, d] = [2, 4, 3, 3, 1, 1, 8, true, 2] as const;
    const xv = randn(B * L * C, testRandom(9));
    const ref = im2colRef(xv, B, L, C, k, s, before, To, reversed, d);
    await tf.setBackend('cpu');
    try {
      const x = tf.tensor3d(xv, [B, L, C]);
      const y = im2col1d(x, k, s, before, To, reversed, d);
      expect(Array.from(y.dataSync())).toEqual(Array.from(ref));
      x.dispose();
      y.dispose();
    } finally {
      await tf.setBackend('wasm');
    }
  });
});

describe('Slice and SplitV on wasm, reading their input in place', () => {
  /** The box begin/size of a row-major array, element by element. */
  function boxRef(x: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
    const out: number[] = [];
    const idx = new Array(shape.length).fill(0);
    const total = size.reduce((a, b) => a * b, 1);
    for (let n = 0; n < total; n++) {
      let flat = 0;
      for (let i = 0; i < shape.length; i++) flat = flat * shape[i] + begin[i] + idx[i];
      out.push(x[flat]);
      for (let i = shape.length - 1; i >= 0 && ++idx[i] === size[i]; i--) idx[i] = 0;
    }
    return out;
  }
  const cases: [number[], number[], number[]][] = [
    [[7], [2], [4]],
    [[4, 6], [1, 0], [2, 6]],
    [[4, 6], [0, 2], [4, 3]],
    [[3, 5, 4], [1, 2, 0], [2, 3, 4]],
    [[3, 5, 4], [0, 0, 1], [3, 5, 2]],
    [[2, 3, 4, 5], [1, 1, 2, 0], [1, 2, 2, 5]],
    [[2, 3, 4, 5], [0, 1, 0, 3], [2, 1, 4, 2]],
    [[2, 3, 2, 2, 3], [1, 0, 1, 0, 1], [1, 3, 1, 2, 2]],
    [[3, 4], [1, 1], [0, 2]],
  ];
  it.each(cases)('slice of %j at %j, size %j equals the definition (float32 and int32)', (shape, begin, size) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const xs = Float32Array.from({ length: n }, (_, i) => i * 1.5 - 7);
    const x = tf.tensor(xs, shape);
    const xi = tf.tensor(Int32Array.from(xs, (v) => Math.round(v * 2)), shape, 'int32');
    const y = tf.slice(x, begin, size);
    const yi = tf.slice(xi, begin, size);
    expect(y.shape).toEqual(size);
    expect(Array.from(y.dataSync())).toEqual(boxRef(xs, shape, begin, size));
    expect(Array.from(yi.dataSync())).toEqual(boxRef(xi.dataSync(), shape, begin, size));
    tf.dispose([x, xi, y, yi]);
  });

  it('split (SplitV) equals slices along any axis, and bool slices still work', () => {
    const shape = [2, 6, 3];
    const xs = Float32Array.from({ length: 36 }, (_, i) => i);
    const x = tf.tensor(xs, shape);
    for (const [axis, sizes] of [
      [1, [1, 2, 3]],
      [2, [2, 1]],
      [0, [1, 1]],
    ] as const) {
      const parts = tf.split(x, [...sizes], axis);
      let at = 0;
      parts.forEach((p, i) => {
        const begin = [0, 0, 0];
        begin[axis] = at;
        const size = [...shape];
        size[axis] = sizes[i];
        expect(Array.from(p.dataSync())).toEqual(boxRef(xs, shape, begin, size));
        at += sizes[i];
      });
      tf.dispose(parts);
    }
    const b = tf.tensor([true, false, true, true], [2, 2], 'bool');
    const bs = tf.slice(b, [1, 0], [1, 2]);
    expect(Array.from(bs.dataSync())).toEqual([1, 1]);
    tf.dispose([x, b, bs]);
  });
});

describe('Transpose on wasm', () => {
  it.each([
    [[5, 7], [1, 0]],
    [[3, 9, 17], [0, 2, 1]],
    [[2, 3, 4, 5], [0, 2, 1, 3]],
    [[2, 3, 4, 5], [2, 0, 1, 3]],
    [[2, 3, 4, 5], [3, 1, 2, 0]],
    [[16, 24], [1, 0]],
  ])('of %j by %j equals the definition', (shape, perm) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const xs = Float32Array.from({ length: n }, (_, i) => i + 0.5);
    const x = tf.tensor(xs, shape);
    const y = tf.transpose(x, perm);
    const outShape = perm.map((p) => shape[p]);
    expect(y.shape).toEqual(outShape);
    const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const ref: number[] = [];
    const idx = new Array(shape.length).fill(0);
    for (let k = 0; k < n; k++) {
      ref.push(xs[idx.reduce((at, v, i) => at + v * strides[perm[i]], 0)]);
      for (let i = shape.length - 1; i >= 0 && ++idx[i] === outShape[i]; i--) idx[i] = 0;
    }
    expect(Array.from(y.dataSync())).toEqual(ref);
    tf.dispose([x, y]);
  });
});
