/**
 * diffusion_policy's 'limits' normalizer (model/common/normalizer.py `_fit`, fact sheet §3.5): a
 * per-dimension affine map sending each dimension's [min, max] over the dataset to [−1, 1]:
 *
 *   scale = (outMax − outMin)/(max − min),  offset = outMin − scale·min,  y = scale·x + offset.
 *
 * A dimension whose range is below rangeEps (1e-4; constant in the data) gets range := outMax − outMin,
 * so scale = 1, and offset = (outMax + outMin)/2 − min: it is centred on 0 without scaling.
 *
 * Plain typed arrays, no tfjs: callers that want tensors build them from `scale` and `offset`.
 * Parameters are kept in float64 so that min and max map to exactly −1 and +1 in float32.
 */
import { z } from 'zod';

export interface LimitsOptions {
  /** Target interval (DP: [−1, 1]). */
  outputMin?: number;
  outputMax?: number;
  /** Ranges below this are treated as constant dimensions (DP: 1e-4). */
  rangeEps?: number;
}

const LimitsOptionsSchema = z
  .object({
    outputMin: z.number().finite().default(-1),
    outputMax: z.number().finite().default(1),
    rangeEps: z.number().finite().positive().default(1e-4),
  })
  .strict()
  .refine((o) => o.outputMax > o.outputMin, { message: 'outputMax must be > outputMin' });

const finiteArray = z.array(z.number().finite());

/** The serialized form: limits and options, plus the derived scale/offset for readers outside the project. */
const NormalizerJSONSchema = z
  .object({
    kind: z.literal('limits'),
    dim: z.number().int().positive(),
    outputMin: z.number().finite(),
    outputMax: z.number().finite(),
    rangeEps: z.number().finite().positive(),
    inputMin: finiteArray,
    inputMax: finiteArray,
    scale: finiteArray,
    offset: finiteArray,
  })
  .strict();
export type LinearNormalizerJSON = z.output<typeof NormalizerJSONSchema>;

export class LinearNormalizer {
  /** Number of dimensions; arrays are flat runs of `dim` values per step. */
  readonly dim: number;
  readonly outputMin: number;
  readonly outputMax: number;
  readonly rangeEps: number;
  /** Per-dimension statistics the map was fitted to. */
  readonly inputMin: Float64Array;
  readonly inputMax: Float64Array;
  /** y = scale·x + offset, as float32 for building tensors (the arrays here compute in float64). */
  readonly scale: Float32Array;
  readonly offset: Float32Array;
  private readonly scale64: Float64Array;
  private readonly offset64: Float64Array;

  private constructor(inputMin: ArrayLike<number>, inputMax: ArrayLike<number>, options: LimitsOptions) {
    const r = LimitsOptionsSchema.safeParse(options);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new Error(`LinearNormalizer: bad option ${issue.path.join('.') || '(options)'}: ${issue.message}`);
    }
    const o = r.data;
    const dim = inputMin.length;
    if (dim === 0 || inputMax.length !== dim) {
      throw new Error(`LinearNormalizer: inputMin and inputMax must have the same length ≥ 1, got ${dim} and ${inputMax.length}`);
    }
    this.dim = dim;
    this.outputMin = o.outputMin;
    this.outputMax = o.outputMax;
    this.rangeEps = o.rangeEps;
    this.inputMin = Float64Array.from(inputMin);
    this.inputMax = Float64Array.from(inputMax);
    this.scale64 = new Float64Array(dim);
    this.offset64 = new Float64Array(dim);
    const outRange = o.outputMax - o.outputMin;
    for (let i = 0; i < dim; i++) {
      const lo = this.inputMin[i];
      const hi = this.inputMax[i];
      if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) {
        throw new Error(`LinearNormalizer: dimension ${i} needs finite min ≤ max, got [${lo}, ${hi}]`);
      }
      const constant = hi - lo < o.rangeEps;
      const scale = outRange / (constant ? outRange : hi - lo);
      this.scale64[i] = scale;
      this.offset64[i] = constant ? (o.outputMax + o.outputMin) / 2 - lo : o.outputMin - scale * lo;
    }
    this.scale = Float32Array.from(this.scale64);
    this.offset = Float32Array.from(this.offset64);
  }

  /** From per-dimension limits, e.g. images: fromLimits([0, 0, 0], [1, 1, 1]) maps [0, 1] to [−1, 1]. */
  static fromLimits(inputMin: ArrayLike<number>, inputMax: ArrayLike<number>, options: LimitsOptions = {}): LinearNormalizer {
    return new LinearNormalizer(inputMin, inputMax, options);
  }

  /** Fits per-dimension min/max over `data`, a flat run of steps of `dim` values each (the whole dataset). */
  static fit(data: ArrayLike<number>, dim: number, options: LimitsOptions = {}): LinearNormalizer {
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`LinearNormalizer.fit: dim must be an integer ≥ 1, got ${dim}`);
    if (data.length === 0 || data.length % dim !== 0) {
      throw new Error(`LinearNormalizer.fit: data length must be a positive multiple of dim ${dim}, got ${data.length}`);
    }
    const lo = new Float64Array(dim).fill(Infinity);
    const hi = new Float64Array(dim).fill(-Infinity);
    for (let j = 0; j < data.length; j++) {
      const v = data[j];
      const i = j % dim;
      if (!Number.isFinite(v)) throw new Error(`LinearNormalizer.fit: data[${j}] (dimension ${i}) must be finite, got ${v}`);
      if (v < lo[i]) lo[i] = v;
      if (v > hi[i]) hi[i] = v;
    }
    return new LinearNormalizer(lo, hi, options);
  }

  static fromJSON(json: unknown): LinearNormalizer {
    const r = NormalizerJSONSchema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new Error(`LinearNormalizer.fromJSON: bad field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    const j = r.data;
    for (const key of ['inputMin', 'inputMax', 'scale', 'offset'] as const) {
      if (j[key].length !== j.dim) throw new Error(`LinearNormalizer.fromJSON: ${key} must have dim = ${j.dim} values, got ${j[key].length}`);
    }
    const n = new LinearNormalizer(j.inputMin, j.inputMax, { outputMin: j.outputMin, outputMax: j.outputMax, rangeEps: j.rangeEps });
    for (let i = 0; i < j.dim; i++) {
      // scale/offset are derived; a mismatch means the file was edited or written by something else.
      const tol = 1e-6 * (1 + Math.abs(n.offset64[i]));
      if (Math.abs(n.scale64[i] - j.scale[i]) > 1e-6 * n.scale64[i] || Math.abs(n.offset64[i] - j.offset[i]) > tol) {
        throw new Error(
          `LinearNormalizer.fromJSON: dimension ${i}: scale/offset ${j.scale[i]}/${j.offset[i]} do not match the limits (expected ${n.scale64[i]}/${n.offset64[i]})`,
        );
      }
    }
    return n;
  }

  toJSON(): LinearNormalizerJSON {
    return {
      kind: 'limits',
      dim: this.dim,
      outputMin: this.outputMin,
      outputMax: this.outputMax,
      rangeEps: this.rangeEps,
      inputMin: Array.from(this.inputMin),
      inputMax: Array.from(this.inputMax),
      scale: Array.from(this.scale64),
      offset: Array.from(this.offset64),
    };
  }

  /** y = scale·x + offset per dimension; pass `out = x` to work in place. */
  normalize(x: Float32Array, out: Float32Array = new Float32Array(x.length)): Float32Array {
    this.check('normalize', x, out);
    const { dim, scale64: s, offset64: o } = this;
    for (let b = 0; b < x.length; b += dim) for (let i = 0; i < dim; i++) out[b + i] = x[b + i] * s[i] + o[i];
    return out;
  }

  /** x = (y − offset)/scale per dimension; pass `out = y` to work in place. */
  unnormalize(y: Float32Array, out: Float32Array = new Float32Array(y.length)): Float32Array {
    this.check('unnormalize', y, out);
    const { dim, scale64: s, offset64: o } = this;
    for (let b = 0; b < y.length; b += dim) for (let i = 0; i < dim; i++) out[b + i] = (y[b + i] - o[i]) / s[i];
    return out;
  }

  private check(op: string, x: Float32Array, out: Float32Array): void {
    if (!(x instanceof Float32Array)) throw new Error(`LinearNormalizer.${op}: input must be a Float32Array`);
    if (x.length % this.dim !== 0) {
      throw new Error(`LinearNormalizer.${op}: input length must be a multiple of dim ${this.dim}, got ${x.length}`);
    }
    if (!(out instanceof Float32Array) || out.length !== x.length) {
      throw new Error(`LinearNormalizer.${op}: out must be a Float32Array of ${x.length} values, got ${out?.length}`);
    }
  }
}

/** The observation and action normalizers every learned policy carries (fit on its demonstrations). */
export interface PolicyNormalizers {
  obs: LinearNormalizer;
  action: LinearNormalizer;
}

export interface PolicyNormalizersJSON {
  obs: LinearNormalizerJSON;
  action: LinearNormalizerJSON;
}

/** Checks a policy's normalizers against its dimensions; the errors name the policy. */
export function checkNormalizers(id: string, n: PolicyNormalizers, obsDim: number, actionDim: number): PolicyNormalizers {
  if (n.obs.dim !== obsDim) throw new Error(`${id}: the observation normalizer has ${n.obs.dim} dims, the policy ${obsDim}`);
  if (n.action.dim !== actionDim) throw new Error(`${id}: the action normalizer has ${n.action.dim} dims, the policy ${actionDim}`);
  return n;
}

export function normalizersToJSON(n: PolicyNormalizers): PolicyNormalizersJSON {
  return { obs: n.obs.toJSON(), action: n.action.toJSON() };
}

export function normalizersFromJSON(j: PolicyNormalizersJSON): PolicyNormalizers {
  return { obs: LinearNormalizer.fromJSON(j.obs), action: LinearNormalizer.fromJSON(j.action) };
}
