/**
 * Bit-exact port of the parts of numpy's *legacy* `np.random.RandomState` that we need.
 *
 * - Generator: MT19937, seeded with `init_genrand(seed)` (what `RandomState(int)` does for a
 *   32-bit integer seed), tempered 32-bit outputs.
 * - `randomSample()`: the legacy 53-bit double, `((a >> 5) * 2^26 + (b >> 6)) / 2^53`.
 * - `randint(low, high)`: legacy `RandomState.randint` for the default int64 dtype, scalar case,
 *   i.e. numpy's masked rejection sampling (`random_bounded_uint64_fill` with `use_masked=True`),
 *   which draws from the 32-bit generator whenever `high - 1 - low <= 0xFFFFFFFF`.
 * - `randn()`: `legacy_gauss`, polar Box–Muller that caches the second value of each pair.
 *   Caveat: V8's `Math.log` is not glibc's `log`; about 1% of `randn` values differ from numpy's
 *   by 1–2 ulp (integer, uniform and the MT19937 stream itself are exact).
 * - `uniform(low, high)`: `low + (high - low) * randomSample()`.
 *
 * The point is reproducibility: PushT-v0's `reset(seed)` draws its start state from
 * `np.random.RandomState(seed)`, so the same seeds here give the original env's start states.
 * `getState`/`setState` let a checkpoint save and restore the generator exactly.
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MAX_UINT32 = 0xffffffff;

export interface RandomStateSnapshot {
  /** The 624 MT19937 state words, each an integer in [0, 2^32-1]. */
  key: number[];
  /** Index of the next state word to temper, in [0, 624]. */
  pos: number;
  /** Whether `randn` has a cached second Gaussian value. */
  hasGauss: boolean;
  /** The cached Gaussian value (0 when `hasGauss` is false). */
  gauss: number;
}

function isUint32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_UINT32;
}

export class RandomState {
  private readonly mt = new Uint32Array(N);
  private pos = N;
  private hasGauss = false;
  private gauss = 0;

  constructor(seed: number) {
    if (!isUint32(seed)) {
      throw new Error(`RandomState: seed must be an integer in [0, ${MAX_UINT32}], got ${String(seed)}`);
    }
    const mt = this.mt;
    mt[0] = seed;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      // Math.imul gives the exact low 32 bits of the product; `>>> 0` makes it unsigned.
      mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.pos = N;
  }

  /** Regenerates all 624 state words (MT19937 "twist"). */
  private twist(): void {
    const mt = this.mt;
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + M - N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }

  /** MT19937 genrand_int32: a uniformly distributed integer in [0, 2^32-1]. */
  nextUint32(): number {
    if (this.pos >= N) this.twist();
    let y = this.mt[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy `random_sample()`: a double in [0, 1) with 53 random bits. */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /** numpy legacy `randint(low, high)` (int64 dtype, scalar): an integer in [low, high). */
  randint(low: number, high: number): number {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
      throw new Error(`RandomState.randint: low and high must be safe integers, got low=${low}, high=${high}`);
    }
    if (high <= low) {
      throw new Error(`RandomState.randint: need low < high, got low=${low}, high=${high}`);
    }
    const rng = high - 1 - low;
    if (rng > MAX_UINT32) {
      throw new Error(`RandomState.randint: range high - low = ${high - low} exceeds 2^32 (unsupported)`);
    }
    if (rng === 0) return low;
    // Smallest 2^k - 1 >= rng (numpy's gen_mask).
    let mask = rng;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let val: number;
    do {
      val = (this.nextUint32() & mask) >>> 0;
    } while (val > rng);
    return low + val;
  }

  /** numpy legacy `randn()` / `standard_normal()`: polar Box–Muller with a cached second value. */
  randn(): number {
    if (this.hasGauss) {
      const g = this.gauss;
      this.hasGauss = false;
      this.gauss = 0;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2.0 * this.randomSample() - 1.0;
      x2 = 2.0 * this.randomSample() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /** numpy legacy `uniform(low, high)`: `low + (high - low) * random_sample()`. */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.randomSample();
  }

  /** A deep copy of the full generator state. */
  getState(): RandomStateSnapshot {
    return { key: Array.from(this.mt), pos: this.pos, hasGauss: this.hasGauss, gauss: this.gauss };
  }

  /** Restores a state from `getState()`; validates it first and leaves `this` untouched on error. */
  setState(s: RandomStateSnapshot): void {
    if (s === null || typeof s !== 'object') {
      throw new Error(`RandomState.setState: state must be an object, got ${String(s)}`);
    }
    if (!Array.isArray(s.key) || s.key.length !== N) {
      const len = Array.isArray(s.key) ? `array of length ${s.key.length}` : String(s.key);
      throw new Error(`RandomState.setState: key must be an array of ${N} uint32 values, got ${len}`);
    }
    const bad = s.key.findIndex((k) => !isUint32(k));
    if (bad >= 0) {
      throw new Error(`RandomState.setState: key[${bad}] must be an integer in [0, ${MAX_UINT32}], got ${String(s.key[bad])}`);
    }
    if (!Number.isInteger(s.pos) || s.pos < 0 || s.pos > N) {
      throw new Error(`RandomState.setState: pos must be an integer in [0, ${N}], got ${String(s.pos)}`);
    }
    if (typeof s.hasGauss !== 'boolean') {
      throw new Error(`RandomState.setState: hasGauss must be a boolean, got ${String(s.hasGauss)}`);
    }
    if (typeof s.gauss !== 'number' || (s.hasGauss && !Number.isFinite(s.gauss))) {
      throw new Error(`RandomState.setState: gauss must be a finite number, got ${String(s.gauss)}`);
    }
    this.mt.set(s.key);
    this.pos = s.pos;
    this.hasGauss = s.hasGauss;
    this.gauss = s.hasGauss ? s.gauss : 0;
  }
}
