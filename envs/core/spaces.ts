/** A Gymnasium `Box`: a product of closed intervals, float32 unless said otherwise. */
export class Box {
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'uint8';

  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, shape: readonly number[], dtype: 'float32' | 'uint8' = 'float32') {
    const size = shape.reduce((a, b) => a * b, 1);
    this.shape = [...shape];
    this.dtype = dtype;
    this.low = Float64Array.from({ length: size }, (_, i) => (typeof low === 'number' ? low : low[i]));
    this.high = Float64Array.from({ length: size }, (_, i) => (typeof high === 'number' ? high : high[i]));
    for (let i = 0; i < size; i++) {
      if (!(this.low[i] <= this.high[i])) throw new Error(`Box: low[${i}]=${this.low[i]} must be <= high[${i}]=${this.high[i]}`);
    }
  }

  get size(): number {
    return this.low.length;
  }

  /** True when `x` has the right length and every entry is finite and inside the bounds. */
  contains(x: ArrayLike<number>): boolean {
    if (x.length !== this.size) return false;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (!Number.isFinite(v) || v < this.low[i] || v > this.high[i]) return false;
    }
    return true;
  }

  /** Clips `x` into the box, writing into `out` (which may be `x` itself). */
  clip(x: ArrayLike<number>, out: Float64Array | Float32Array): typeof out {
    for (let i = 0; i < this.size; i++) out[i] = Math.min(this.high[i], Math.max(this.low[i], x[i]));
    return out;
  }

  /** A uniform sample, from a `() => number` in [0, 1). Unbounded dims are not supported. */
  sample(uniform: () => number): Float32Array {
    const out = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      if (!Number.isFinite(this.low[i]) || !Number.isFinite(this.high[i])) {
        throw new Error(`Box.sample: dimension ${i} is unbounded ([${this.low[i]}, ${this.high[i]}])`);
      }
      out[i] = this.low[i] + (this.high[i] - this.low[i]) * uniform();
    }
    return out;
  }

  toJSON(): object {
    const lo = Array.from(this.low);
    const hi = Array.from(this.high);
    const same = (a: number[]) => a.every((v) => v === a[0]);
    return { shape: this.shape, dtype: this.dtype, low: same(lo) ? lo[0] : lo, high: same(hi) ? hi[0] : hi };
  }
}
