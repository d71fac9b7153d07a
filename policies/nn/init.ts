/**
 * Seeded initial values. Numbers are drawn in JavaScript (xoshiro128** seeded through splitmix32, normals
 * by Box–Muller) and only then turned into tensors, so one seed gives bit-identical weights on the cpu,
 * wasm and webgpu backends; tfjs's own random ops give no such promise.
 */
import * as tf from './tf.ts';
import type { Init } from './module.ts';

/**
 * xoshiro128** (Blackman & Vigna), 32-bit state words; `seed` is expanded with splitmix32 so nearby seeds
 * give unrelated streams. `getState`/`setState` let checkpoints resume a stream exactly.
 */
export class Rng {
  private s = new Uint32Array(4);
  /** Second Box–Muller value, kept for the next `normal()` call. */
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`Rng: seed must be an integer, got ${seed}`);
    let z = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      z = (z + 0x9e3779b9) >>> 0;
      let t = z ^ (z >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      this.s[i] = (t ^ (t >>> 15)) >>> 0;
    }
  }

  /** Next uint32. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1), 32 random bits. */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal (Box–Muller; u1 in (0, 1] so log never sees 0). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u1 = 1 - this.float();
    const u2 = this.float();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  getState(): number[] {
    return [...this.s, this.spare === null ? NaN : this.spare];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 5) throw new Error(`Rng.setState: state must have 5 numbers (from getState), got ${state.length}`);
    for (let i = 0; i < 4; i++) this.s[i] = state[i] >>> 0;
    this.spare = Number.isNaN(state[4]) ? null : state[4];
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** An `Init` drawing from one seeded stream, in call order (so build layers in a fixed order). */
export function makeInit(seed: number): Init {
  const rng = new Rng(seed);
  return {
    uniform(shape, low, high) {
      checkShape('uniform', shape);
      const n = shape.reduce((a, b) => a * b, 1);
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = low + (high - low) * rng.float();
      return tf.tensor(v, shape, 'float32');
    },
    normal(shape, std) {
      checkShape('normal', shape);
      const n = shape.reduce((a, b) => a * b, 1);
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = std * rng.normal();
      return tf.tensor(v, shape, 'float32');
    },
  };
}

function checkShape(fn: string, shape: number[]): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`Init.${fn}: shape must be non-negative integers, got [${shape.join(', ')}]`);
}

/**
 * Bound of PyTorch's default nn.Linear / nn.Conv1d / nn.ConvTranspose1d init: kaiming_uniform_(a=√5)
 * gives U(−b, b) with b = gain·√(3/fan_in) = √(1/3)·√(3/fan_in) = 1/√fan_in, and the bias uses the same
 * bound. fan_in is in·k for Conv1d, and out·k for ConvTranspose1d (PyTorch reads dim 1 of its [in, out, k]
 * weight).
 */
export function kaimingUniformBound(fanIn: number): number {
  if (!(fanIn > 0)) throw new Error(`kaimingUniformBound: fanIn must be > 0, got ${fanIn}`);
  return 1 / Math.sqrt(fanIn);
}

/** Bound of torch.nn.init.xavier_uniform_ (gain 1): √(6 / (fan_in + fan_out)). */
export function xavierUniformBound(fanIn: number, fanOut: number): number {
  return Math.sqrt(6 / (fanIn + fanOut));
}

/** How a weight is initialised: PyTorch's layer default, or N(0, std) with zero bias (minGPT / DP-T use 0.02). */
export type WeightInit = 'torch' | { std: number };
