/**
 * Kernels of our own for the hot paths of training on the CPU backends (wasm, cpu), registered with
 * tfjs's kernel registry and written in JavaScript over the backend's memory. Each op falls back to plain
 * tf ops on other backends (webgpu, tensorflow), so layers stay portable.
 *
 * Why: tfjs-backend-wasm's Slice kernel first copies its whole input out of the wasm heap
 * (`readSync` → `HEAPU8.slice`), so an im2col of k slices plus a concat copied the input k + 1 times and
 * allocated as much garbage; at batch 256 these slices took more time than the U-Net's matMuls.
 */
import * as tf from './tf.ts';

/** The CPU backends' storage as this file needs it: wasm keeps tensors in its heap, cpu in JS arrays. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}
export interface CpuBackendLike {
  data: { get(id: unknown): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** im2col's attributes: see `im2col1d`. */
interface Im2ColAttrs {
  k: number;
  stride: number;
  before: number;
  outLen: number;
  dilation: number;
  reversed: boolean;
}

/**
 * Fills rows of `dst` (from `dOff`, B·To rows of k·C floats) with the im2col of `src` ([B, L, C] from
 * `sOff`). `src` and `dst` may be views of one buffer (the wasm heap): copies use copyWithin there.
 */
function im2colInto(src: Float32Array, sOff: number, dst: Float32Array, dOff: number, B: number, L: number, C: number, a: Im2ColAttrs): void {
  const { k, stride: s, before, outLen: To, dilation: d, reversed } = a;
  const same = src.buffer === dst.buffer;
  const vLen = L * d;
  const copy = (from: number, to: number, n: number) => {
    if (n >= 32) {
      if (same) dst.copyWithin(to, from, from + n);
      else dst.set(src.subarray(from, from + n), to);
    } else for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
  };
  const row = k * C;
  for (let b = 0; b < B; b++) {
    const sb = sOff + b * L * C;
    for (let t = 0; t < To; t++) {
      const o = dOff + (b * To + t) * row;
      const v0 = t * s - before; // virtual source position of tap 0
      if (!reversed && d === 1) {
        // Taps are consecutive steps of x: one run, zeros where it leaves [0, L).
        const lo = Math.max(0, v0);
        const hi = Math.min(L, v0 + k);
        if (hi <= lo) {
          dst.fill(0, o, o + row);
          continue;
        }
        if (lo > v0) dst.fill(0, o, o + (lo - v0) * C);
        copy(sb + lo * C, o + (lo - v0) * C, (hi - lo) * C);
        if (v0 + k > hi) dst.fill(0, o + (hi - v0) * C, o + row);
        continue;
      }
      for (let i = 0; i < k; i++) {
        const v = v0 + (reversed ? k - 1 - i : i);
        const at = o + i * C;
        if (v < 0 || v >= vLen || v % d !== 0) dst.fill(0, at, at + C);
        else copy(sb + (v / d) * C, at, C);
      }
    }
  }
}

const IM2COL = 'DpbenchIm2Col1d';

export function registerOnce(config: tf.KernelConfig): void {
  // A module can be evaluated twice in one process (tsx and vitest loaders side by side).
  if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
}

/**
 * Registers kernel `name` on wasm and cpu from one JavaScript function over float32 arrays: `shapes` gives
 * the output shapes, `compute` fills the outputs from the inputs (named `inputNames`; absent ones are
 * null). On wasm the arrays are views of its heap, taken after every output is allocated.
 */
export function registerJsKernel<A>(
  name: string,
  inputNames: string[],
  shapes: (inputs: Array<tf.TensorInfo | null>, attrs: A) => number[][],
  compute: (ins: Array<Float32Array | null>, outs: Float32Array[], inputs: Array<tf.TensorInfo | null>, attrs: A) => void,
): void {
  const infos = (inputs: tf.NamedTensorInfoMap) => inputNames.map((n) => (inputs[n] as tf.TensorInfo | undefined) ?? null);
  registerOnce({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const be = backend as unknown as WasmBackendLike;
      const ins = infos(inputs);
      const a = attrs as unknown as A;
      const outs = shapes(ins, a).map((sh) => be.makeOutput(sh, 'float32'));
      compute(ins.map((t) => (t ? be.typedArrayFromHeap(t) : null)), outs.map((t) => be.typedArrayFromHeap(t)), ins, a);
      return outs.length === 1 ? outs[0] : outs;
    },
  });
  registerOnce({
    kernelName: name,
    backendName: 'cpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const be = backend as unknown as CpuBackendLike;
      const ins = infos(inputs);
      const a = attrs as unknown as A;
      const sh = shapes(ins, a);
      const outs = sh.map((d) => new Float32Array(d.reduce((p, q) => p * q, 1)));
      compute(ins.map((t) => (t ? (be.data.get(t.dataId).values as Float32Array) : null)), outs, ins, a);
      const infosOut = outs.map((o, i) => be.makeTensorInfo(sh[i], 'float32', o));
      return infosOut.length === 1 ? infosOut[0] : infosOut;
    },
  });
}

registerJsKernel<Im2ColAttrs>(
  IM2COL,
  ['x'],
  ([x], a) => [[x!.shape[0] * a.outLen, a.k * x!.shape[2]]],
  ([x], [out], [xi], a) => {
    const [B, L, C] = xi!.shape;
    // On wasm both are views of the heap: copies become copyWithin over one array.
    if (x!.buffer === out.buffer) {
      const heap = new Float32Array(out.buffer);
      im2colInto(heap, x!.byteOffset >>> 2, heap, out.byteOffset >>> 2, B, L, C, a);
    } else im2colInto(x!, 0, out, 0, B, L, C, a);
  },
);

const SUM_MID = 'DpbenchSumMiddle';

/** Σ over the middle axis of x viewed as [B, L, C] → [B, C], accumulated in float64. */
registerJsKernel<{ B: number; L: number; C: number }>(
  SUM_MID,
  ['x'],
  (_i, a) => [[a.B, a.C]],
  ([x], [out], _i, { B, L, C }) => {
    const acc = new Float64Array(C);
    for (let b = 0; b < B; b++) {
      acc.fill(0);
      for (let t = 0; t < L; t++) {
        const o = (b * L + t) * C;
        for (let c = 0; c < C; c++) acc[c] += x![o + c];
      }
      out.set(acc, b * C);
    }
  },
);

/**
 * Sums x over all axes but the last, or (`perRow`) over the axes between the first and the last:
 * [..., C] → [C], or [B, ..., C] → [B, C], as a JavaScript kernel (float64 sums). tfjs-backend-wasm
 * reduces over outer axes through a transpose (measured for [4096, 64]: 4.0 ms against 0.95 ms here; a
 * product with a row of ones, 2.2 ms, as XNNPACK packs a new right operand on every call). Not
 * differentiable: for hand-written gradients.
 */
export function sumToChannels(x: tf.Tensor, perRow = false): tf.Tensor {
  const C = x.shape[x.rank - 1];
  const B = perRow ? x.shape[0] : 1;
  const L = x.size / (B * C);
  if (hasKernel(SUM_MID)) {
    const y = tf.engine().runKernel(SUM_MID, { x }, { B, L, C } as unknown as tf.NamedAttrMap) as tf.Tensor;
    return perRow ? y : tf.reshape(y, [C]);
  }
  return tf.sum(tf.reshape(x, [B, L, C]), perRow ? 1 : [0, 1]);
}

/** Whether the active backend has kernel `name` (ours are registered for wasm and cpu). */
export const hasKernel = (name: string): boolean => tf.getKernel(name, tf.getBackend()) !== undefined;

/**
 * [B, L, C] → [B·To, k·C] whose row (b, t) holds x̃[b, t·s + j, :] for taps j = 0…k−1 (k−1…0 when
 * `reversed`), where x̃ is x with `dilation − 1` zero steps inserted after every step (length L·dilation),
 * shifted right by `before` and zero outside (a negative `before` crops). Not differentiable: used inside
 * custom gradients only.
 */
export function im2col1d(x: tf.Tensor3D, k: number, stride: number, before: number, outLen: number, reversed = false, dilation = 1): tf.Tensor2D {
  const attrs: Im2ColAttrs = { k, stride, before, outLen, dilation, reversed };
  // A 1×1 convolution's im2col is its input (the residual and output convs).
  if (k === 1 && stride === 1 && dilation === 1 && before === 0 && outLen === x.shape[1]) return tf.reshape(x, [x.shape[0] * outLen, x.shape[2]]);
  if (hasKernel(IM2COL)) return tf.engine().runKernel(IM2COL, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
  return im2colOps(x, attrs);
}

/** The same with tf ops: zero insertion by a pad, then one slice per tap of a [B, coarse step, phase, C] view. */
function im2colOps(x: tf.Tensor3D, a: Im2ColAttrs): tf.Tensor2D {
  const { k, stride: s, before, outLen: To, dilation: d, reversed } = a;
  return tf.tidy(() => {
    const [B, L, C] = x.shape;
    let xd: tf.Tensor3D = x;
    if (d > 1) xd = tf.reshape(tf.pad(tf.reshape(x, [B, L, 1, C]), [[0, 0], [0, 0], [0, d - 1], [0, 0]]), [B, L * d, C]);
    const Ld = L * d;
    const Lq = To + Math.floor((k - 1) / s);
    const after = Lq * s - Ld - before;
    const cropB = Math.max(0, -before);
    const cropA = Math.max(0, -after);
    let xe: tf.Tensor3D = cropB || cropA ? tf.slice(xd, [0, cropB, 0], [B, Ld - cropB - cropA, C]) : xd;
    if (before > 0 || after > 0) xe = tf.pad(xe, [[0, 0], [Math.max(0, before), Math.max(0, after)], [0, 0]]);
    const x4 = tf.reshape(xe, [B, Lq, s, C]);
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < k; i++) {
      const j = reversed ? k - 1 - i : i;
      taps.push(tf.reshape(tf.slice(x4, [0, Math.floor(j / s), j % s, 0], [B, To, 1, C]), [B, To, C]));
    }
    return tf.reshape(k === 1 ? taps[0] : tf.concat(taps, 2), [B * To, k * C]) as tf.Tensor2D;
  });
}

/** For tests: the portable path, whatever the backend. */
export const im2col1dOps = (x: tf.Tensor3D, k: number, stride: number, before: number, outLen: number, reversed = false, dilation = 1): tf.Tensor2D =>
  im2colOps(x, { k, stride, before, outLen, dilation, reversed });

/**
 * Copies the box `begin`/`size` of a row-major array of `shape` from heap32[src…] to heap32[dst…] (4-byte
 * elements), as copyWithin runs over the innermost contiguous span.
 */
function copyBox(heap: Int32Array, src: number, dst: number, shape: number[], begin: number[], size: number[]): void {
  const rank = shape.length;
  // Merge trailing axes taken whole into one contiguous run.
  let run = 1;
  let k = rank;
  while (k > 0 && size[k - 1] === shape[k - 1]) run *= shape[--k];
  if (k > 0) run *= size[--k];
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  let base = src;
  for (let i = 0; i < rank; i++) base += begin[i] * strides[i];
  const idx = new Array<number>(k).fill(0);
  let o = dst;
  for (;;) {
    let at = base;
    for (let i = 0; i < k; i++) at += idx[i] * strides[i];
    heap.copyWithin(o, at, at + run);
    o += run;
    let i = k - 1;
    while (i >= 0 && ++idx[i] === size[i]) idx[i--] = 0;
    if (i < 0) break;
  }
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Slice reading its input in place (wasm's own copies the whole input out of the heap first). */
function sliceWasm(args: KernelArgs, original: tf.KernelFunc): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return original(args) as tf.TensorInfo;
  const { begin, size } = args.attrs as unknown as { begin: number[]; size: number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
  return sliceBox(args.backend as unknown as WasmBackendLike, x, b, s);
}

function sliceBox(be: WasmBackendLike, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = be.makeOutput(size, x.dtype);
  if (size.some((d) => d === 0)) return out;
  const xv = be.typedArrayFromHeap(x);
  const ov = be.typedArrayFromHeap(out);
  const heap = new Int32Array(ov.buffer);
  copyBox(heap, xv.byteOffset >>> 2, ov.byteOffset >>> 2, x.shape, begin, size);
  return out;
}

/** SplitV as in-place slices (wasm's calls its copying Slice once per output). */
function splitVWasm(args: KernelArgs, original: tf.KernelFunc): tf.TensorInfo[] {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return original(args) as tf.TensorInfo[];
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((n) => {
    const size = [...x.shape];
    size[ax] = n;
    const out = sliceBox(args.backend as unknown as WasmBackendLike, x, [...begin], size);
    begin[ax] += n;
    return out;
  });
}

/**
 * Identity sharing its input's memory, as the cpu and webgl backends' do (tensors are immutable, and
 * a variable's assign swaps its memory rather than writing into it). The engine clones every tensor it
 * saves for the backward pass, so wasm's copying Identity copied every saved activation.
 */
function identityWasm(args: KernelArgs, original: tf.KernelFunc): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return original(args) as tf.TensorInfo;
  (args.backend as unknown as { incRef(id: unknown): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** out = transpose of each of `batch` [R, C] matrices (4-byte elements), in 8 × 8 tiles. */
function transposeTiles(heap: Int32Array, src: number, dst: number, batch: number, R: number, C: number): void {
  const T = 8; // tiles of 8 rows: power-of-two row strides would otherwise thrash the cache sets
  for (let b = 0; b < batch; b++) {
    const s0 = src + b * R * C;
    const d0 = dst + b * R * C;
    for (let i0 = 0; i0 < R; i0 += T) {
      const i1 = Math.min(R, i0 + T);
      for (let j0 = 0; j0 < C; j0 += T) {
        const j1 = Math.min(C, j0 + T);
        for (let i = i0; i < i1; i++) {
          const o = s0 + i * C;
          for (let j = j0; j < j1; j++) heap[d0 + j * R + i] = heap[o + j];
        }
      }
    }
  }
}

/**
 * Transpose for the permutations the layers use: the last two axes swapped (matrices, conv weights), in
 * tiles; or the last axis kept (attention heads), as row copies. tfjs-backend-wasm's loops ran at 25–36
 * ns/element on [1024, 256] and [1024, 1024] (power-of-two strides), against ~2 here. Others: wasm's.
 */
function transposeWasm(args: KernelArgs, original: tf.KernelFunc): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const perm = (args.attrs as unknown as { perm: number[] }).perm;
  const r = x.shape.length;
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || r < 2) return original(args) as tf.TensorInfo;
  const swapLast = perm[r - 1] === r - 2 && perm[r - 2] === r - 1 && perm.slice(0, r - 2).every((p, i) => p === i);
  const keepsLast = perm[r - 1] === r - 1;
  if (!swapLast && !keepsLast) return original(args) as tf.TensorInfo;
  const be = args.backend as unknown as WasmBackendLike;
  const out = be.makeOutput(perm.map((p) => x.shape[p]), x.dtype);
  const n = x.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return out;
  const xv = be.typedArrayFromHeap(x);
  const ov = be.typedArrayFromHeap(out);
  const heap = new Int32Array(ov.buffer);
  const src = xv.byteOffset >>> 2;
  const dst = ov.byteOffset >>> 2;
  if (swapLast) {
    const R = x.shape[r - 2];
    const C = x.shape[r - 1];
    transposeTiles(heap, src, dst, n / (R * C), R, C);
    return out;
  }
  // The last axis stays: copy runs of it in the output's order.
  const run = x.shape[r - 1];
  const strides = new Array<number>(r).fill(1);
  for (let i = r - 2; i >= 0; i--) strides[i] = strides[i + 1] * x.shape[i + 1];
  const outShape = perm.map((p) => x.shape[p]);
  const idx = new Array<number>(r - 1).fill(0);
  for (let o = dst; o < dst + n; o += run) {
    let at = src;
    for (let i = 0; i < r - 1; i++) at += idx[i] * strides[perm[i]];
    heap.copyWithin(o, at, at + run);
    for (let i = r - 2; i >= 0 && ++idx[i] === outShape[i]; i--) idx[i] = 0;
  }
  return out;
}

let installed = false;

/**
 * Replaces tfjs-backend-wasm's Slice and SplitV (each copies its whole input out of the heap before
 * taking the slice: a concat's gradient, a pad's, a ConvTranspose1d's overlap-add paid that per slice)
 * with versions that read the input in place, its Identity with one that shares memory, and its
 * Transpose (for the permutations the layers use) with tiled copies. Same values; call after the wasm
 * backend is loaded.
 */
export function installWasmKernels(): void {
  if (installed) return;
  for (const [name, impl] of [
    ['Slice', sliceWasm],
    ['SplitV', splitVWasm],
    ['Identity', identityWasm],
    ['Transpose', transposeWasm],
  ] as const) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: (args) => impl(args, original.kernelFunc) as tf.TensorInfo });
  }
  installed = true;
}
