/**
 * AdamW's elementwise update as a WebAssembly SIMD loop (four float32 lanes), assembled here byte by byte:
 * the optimizer step of the data-parallel trainer was a JavaScript loop at 11–16 ns per parameter (V8
 * neither vectorizes it nor keeps it in float32), a third of a second per step for the 65 M-parameter
 * U-Net. Every f32x4 operation is IEEE-754 single precision per lane, the same rounding as the float32
 * tensor ops the update is written in (adamw.ts), so the result has the same bits as the scalar loop; the
 * tests hold it to that.
 *
 * The module owns a small memory; `adamwSimd` copies a chunk of each array in, runs the loop, and copies
 * the updated chunk back (seven memcpys, ~1–2 ns per parameter in all).
 */

/** Elements per chunk: the five arrays of it fill the module's 320 KiB. */
const CHUNK = 16384;
const BYTES = CHUNK * 4;

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const str = (s: string): number[] => [...leb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

// Instructions.
const get = (i: number) => [0x20, ...leb(i)];
const set = (i: number) => [0x21, ...leb(i)];
const tee = (i: number) => [0x22, ...leb(i)];
const i32add = [0x6a];
const i32geu = [0x4f];
const i32const = (n: number) => [0x41, ...leb(n)];
const simd = (op: number) => [0xfd, ...leb(op)];
const load = [...simd(0x00), 0x00, 0x00]; // v128.load, align hint 1, offset 0
const store = [...simd(0x0b), 0x00, 0x00]; // v128.store
const splat = simd(0x13); // f32x4.splat
const fsqrt = simd(0xe3);
const fadd = simd(0xe4);
const fsub = simd(0xe5);
const fmul = simd(0xe6);
const fdiv = simd(0xe7);
const f32const1 = [0x43, 0x00, 0x00, 0x80, 0x3f]; // f32.const 1
const f32gt = [0x5e];

/**
 * adamw(n_bytes, b1, 1−b1, b2, 1−b2, √bc2, eps, stepSize, keep, hasY, parts) over P = [0, n),
 * M = [BYTES, …), V = [2·BYTES, …), G = [3·BYTES, …), Y = [4·BYTES, …):
 *   g ← (g + y) / parts (the add when hasY, the division when parts > 1; g is written back)
 *   m ← m·b1 + g·(1−b1); v ← v·b2 + (g·g)·(1−b2); p ← p·keep − (m / (√v / √bc2 + eps))·stepSize
 */
function adamwBody(): number[] {
  // params: 0 n, 1 b1, 2 ob1, 3 b2, 4 ob2, 5 sq, 6 eps, 7 ss, 8 keep, 9 hasY (i32), 10 parts (f32);
  // locals: 11 i (i32), 12–19 splats of params 1–8, 20 g, 21 m1, 22 v1, 23 splat of parts
  const [n, hasY, parts, i] = [0, 9, 10, 11];
  const S = (k: number) => 12 + k; // splat of param k+1
  const [g, m1, v1, P] = [20, 21, 22, 23];
  const at = (base: number) => [...i32const(base), ...get(i), ...i32add];
  const code = [
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => [...get(k + 1), ...splat, ...set(S(k))]),
    ...get(parts), ...splat, ...set(P),
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...get(i), ...get(n), ...i32geu, 0x0d, 0x01, // br_if out when i ≥ n
    ...at(3 * BYTES), ...load, ...set(g),
    // g = (g + y) / parts, stored back
    ...get(hasY), 0x04, 0x40, ...get(g), ...at(4 * BYTES), ...load, ...fadd, ...set(g), 0x0b,
    ...get(parts), ...f32const1, ...f32gt, 0x04, 0x40, ...get(g), ...get(P), ...fdiv, ...set(g), 0x0b,
    ...at(3 * BYTES), ...get(g), ...store,
    // m1 = m·b1 + g·(1−b1)
    ...at(BYTES),
    ...at(BYTES), ...load, ...get(S(0)), ...fmul,
    ...get(g), ...get(S(1)), ...fmul,
    ...fadd, ...tee(m1), ...store,
    // v1 = v·b2 + (g·g)·(1−b2)
    ...at(2 * BYTES),
    ...at(2 * BYTES), ...load, ...get(S(2)), ...fmul,
    ...get(g), ...get(g), ...fmul, ...get(S(3)), ...fmul,
    ...fadd, ...tee(v1), ...store,
    // p = p·keep − (m1 / (√v1 / √bc2 + eps))·stepSize
    ...at(0),
    ...at(0), ...load, ...get(S(7)), ...fmul,
    ...get(m1), ...get(v1), ...fsqrt, ...get(S(4)), ...fdiv, ...get(S(5)), ...fadd, ...fdiv,
    ...get(S(6)), ...fmul,
    ...fsub, ...store,
    ...get(i), ...i32const(16), ...i32add, ...set(i),
    0x0c, 0x00, // br loop
    0x0b, 0x0b, // end loop, end block
    0x0b, // end function
  ];
  const locals = vec([
    [1, I32],
    [12, V128],
  ]);
  const body = [...locals, ...code];
  return [...leb(body.length), ...body];
}

function assemble(): Uint8Array<ArrayBuffer> {
  const type = [0x60, ...vec([[I32], ...new Array<number[]>(8).fill([F32]), [I32], [F32]]), ...vec([])];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...leb(5)]])), // memory: 5 pages (320 KiB)
    ...section(7, vec([[...str('adamw'), 0x00, 0x00], [...str('mem'), 0x02, 0x00]])),
    ...section(10, vec([adamwBody()])),
  ];
  return Uint8Array.from(bytes);
}

interface Kernel {
  run: (nBytes: number, b1: number, ob1: number, b2: number, ob2: number, sq: number, eps: number, ss: number, keep: number, hasY: number, parts: number) => void;
  p: Float32Array;
  m: Float32Array;
  v: Float32Array;
  g: Float32Array;
  y: Float32Array;
}

let kernel: Kernel | null | undefined;

/** The kernel, or null where WebAssembly SIMD is missing (the scalar loop is used then). */
function getKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = assemble();
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const mem = inst.exports.mem as WebAssembly.Memory;
    const view = (k: number) => new Float32Array(mem.buffer, k * BYTES, CHUNK);
    kernel = { run: inst.exports.adamw as Kernel['run'], p: view(0), m: view(1), v: view(2), g: view(3), y: view(4) };
  } catch {
    kernel = null;
  }
  return kernel;
}

/** Whether the SIMD kernel is in use here. */
export const simdAvailable = (): boolean => getKernel() !== null;

export interface AdamWLaneScalars {
  b1: number;
  oneMinusB1: number;
  b2: number;
  oneMinusB2: number;
  sqrtBc2: number;
  eps: number;
  stepSize: number;
  /** fround(1 − lr·wd); 1 for undecayed parameters (p·1 = p exactly). */
  keep: number;
}

/**
 * Updates elements [from, from + 4·⌊n/4⌋) with the SIMD kernel and returns how many it did (a multiple
 * of 4; the caller finishes the tail), or 0 without SIMD. With `y` and/or `parts` > 1 the gradient is
 * first merged, g ← (g + y) / parts, and written back to `g`.
 */
export function adamwSimd(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, from: number, n: number, s: AdamWLaneScalars, y: Float32Array | null = null, parts = 1): number {
  const k = getKernel();
  if (!k) return 0;
  const done = n - (n % 4);
  for (let o = 0; o < done; o += CHUNK) {
    const len = Math.min(CHUNK, done - o);
    const a = from + o;
    k.p.set(p.subarray(a, a + len));
    k.m.set(m.subarray(a, a + len));
    k.v.set(v.subarray(a, a + len));
    k.g.set(g.subarray(a, a + len));
    if (y) k.y.set(y.subarray(a, a + len));
    k.run(len * 4, s.b1, s.oneMinusB1, s.b2, s.oneMinusB2, s.sqrtBc2, s.eps, s.stepSize, s.keep, y ? 1 : 0, parts);
    p.set(k.p.subarray(0, len), a);
    m.set(k.m.subarray(0, len), a);
    v.set(k.v.subarray(0, len), a);
    if (y || parts > 1) g.set(k.g.subarray(0, len), a);
  }
  return done;
}
