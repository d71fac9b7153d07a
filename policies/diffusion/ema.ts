/**
 * Exponential moving average of a model's parameters, as diffusion_policy's `EMAModel`
 * (model/diffusion/ema_model.py, fact sheet §3.7). Rollouts and evaluation use the averaged weights.
 *
 * decay(step) = 0 if step ≤ 0, else clamp(1 − (1 + step/invGamma)^(−power), minValue, maxValue), with
 * step = max(0, optimizationStep − updateAfterStep − 1). With power 0.75 the decay reaches 0.999 near 10k
 * steps and 0.9999 near 215k. Parameters that are not trainable (buffers) are copied, not averaged.
 */
import { z } from 'zod';
import * as tf from '../nn/tf.ts';

export const EmaConfig = z
  .object({
    /** Warm-up exponent of the decay (DP: 0.75; 2/3 suits million-step runs). */
    power: z.number().positive().default(0.75),
    /** Inverse multiplicative factor of the warm-up (DP: 1). */
    invGamma: z.number().positive().default(1),
    /** Lower clamp of the decay (DP: 0). */
    minValue: z.number().min(0).max(1).default(0),
    /** Upper clamp of the decay (DP: 0.9999). */
    maxValue: z.number().min(0).max(1).default(0.9999),
    /** Optimization steps before averaging starts (DP: 0). */
    updateAfterStep: z.number().int().min(0).default(0),
  })
  .strict()
  .refine((c) => c.minValue <= c.maxValue, { message: 'minValue must be ≤ maxValue' });
export type EmaConfig = z.output<typeof EmaConfig>;
export type EmaOptions = z.input<typeof EmaConfig>;

function parseConfig(options: unknown): EmaConfig {
  const r = EmaConfig.safeParse(options ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`EMA: bad option ${issue.path.join('.') || '(options)'}: ${issue.message}`);
  }
  return r.data;
}

/** The decay EMAModel.get_decay gives at this optimization step. */
export function emaDecay(optimizationStep: number, options: EmaOptions = {}): number {
  const c = parseConfig(options);
  return decayOf(optimizationStep, c);
}

function decayOf(optimizationStep: number, c: EmaConfig): number {
  if (!Number.isInteger(optimizationStep) || optimizationStep < 0) {
    throw new Error(`EMA: optimizationStep must be an integer ≥ 0, got ${optimizationStep}`);
  }
  const step = Math.max(0, optimizationStep - c.updateAfterStep - 1);
  if (step <= 0) return 0;
  const value = 1 - (1 + step / c.invGamma) ** -c.power;
  return Math.max(c.minValue, Math.min(value, c.maxValue));
}

/** One parameter's averaged values, laid out as a checkpoint file holds them. */
export interface EmaShadow {
  data: Float32Array;
  shape: number[];
}

/** A checkpointable snapshot: the step counter and the shadow values by parameter name. */
export interface EmaState {
  /** The optimization step the next `update()` will use. */
  step: number;
  /** Copies, in parameter registration order. */
  shadows: Map<string, EmaShadow>;
}

export class EMA {
  readonly config: EmaConfig;
  private readonly source: ReadonlyMap<string, tf.Variable>;
  private readonly averaged = new Map<string, tf.Variable>();
  private step = 0;
  private lastDecay = 0;
  private disposed = false;

  /** Starts the average at the current values of `variables` (all float32), as EMAModel's deepcopy. */
  constructor(variables: ReadonlyMap<string, tf.Variable>, options: EmaOptions = {}) {
    this.config = parseConfig(options);
    if (variables.size === 0) throw new Error('EMA: no variables to average');
    for (const [name, v] of variables) {
      if (v.dtype !== 'float32') throw new Error(`EMA: variable ${JSON.stringify(name)} must be float32, got ${v.dtype}`);
      // A non-trainable Variable sharing the source's (immutable) buffer until the first assign.
      this.averaged.set(name, tf.variable(v, false));
    }
    this.source = new Map(variables);
  }

  /** The optimization step the next `update()` will use. */
  get optimizationStep(): number {
    return this.step;
  }

  /** The decay at `optimizationStep`; by default the one the last update used (0 before any). */
  decay(optimizationStep?: number): number {
    return optimizationStep === undefined ? this.lastDecay : decayOf(optimizationStep, this.config);
  }

  /** The averaged parameters by name (read them; do not dispose or train them). */
  get shadow(): ReadonlyMap<string, tf.Variable> {
    return this.averaged;
  }

  /**
   * One EMA step after an optimizer step: shadow ← d·shadow + (1 − d)·param with d = decay(step)
   * (buffers are copied). `optimizationStep` defaults to the internal counter, which then becomes
   * optimizationStep + 1 (EMAModel's `optimization_step += 1`). Returns the decay used.
   */
  update(optimizationStep: number = this.step): number {
    this.assertLive();
    const d = decayOf(optimizationStep, this.config);
    tf.tidy(() => {
      for (const [name, s] of this.averaged) {
        const p = this.source.get(name)!;
        if (!p.trainable || d === 0) s.assign(tf.clone(p));
        else s.assign(tf.add(tf.mul(s, d), tf.mul(p, 1 - d)));
      }
    });
    this.step = optimizationStep + 1;
    this.lastDecay = d;
    return d;
  }

  /** Writes the averaged values into `target` (default: the averaged model's own variables). */
  copyTo(target: ReadonlyMap<string, tf.Variable> = this.source): void {
    this.assertLive();
    this.checkNames('copyTo', target);
    tf.tidy(() => {
      for (const [name, s] of this.averaged) {
        const t = target.get(name)!;
        if (!tf.util.arraysEqual(t.shape, s.shape)) {
          throw new Error(`EMA copyTo: ${JSON.stringify(name)} has shape [${t.shape}], expected [${s.shape}]`);
        }
        t.assign(tf.clone(s));
      }
    });
  }

  /**
   * Runs `fn` with the averaged weights in the source variables (rollouts, validation), then puts the
   * training weights back, also when `fn` throws. Do not train or update inside `fn`.
   */
  async withEmaWeights<T>(fn: () => T | Promise<T>): Promise<T> {
    this.assertLive();
    const backup = new Map<string, tf.Tensor>();
    for (const [name, p] of this.source) backup.set(name, tf.keep(tf.clone(p)));
    try {
      this.copyTo();
      return await fn();
    } finally {
      for (const [name, p] of this.source) {
        const b = backup.get(name)!;
        p.assign(b);
        b.dispose();
      }
    }
  }

  /** Snapshot for a checkpoint (copies of the shadow values). */
  state(): EmaState {
    this.assertLive();
    const shadows = new Map<string, EmaShadow>();
    for (const [name, s] of this.averaged) shadows.set(name, { data: Float32Array.from(s.dataSync() as Float32Array), shape: [...s.shape] });
    return { step: this.step, shadows };
  }

  /**
   * Restores a `state()` (or a checkpoint's arrays): the names, shapes and sizes must match this EMA's
   * variables exactly and the data must be float32. The decay of the last update is recomputed from `step`.
   */
  loadState(state: { step: number; shadows: ReadonlyMap<string, { data: ArrayLike<number>; shape: readonly number[] }> }): void {
    this.assertLive();
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new Error(`EMA loadState: step must be an integer ≥ 0, got ${state.step}`);
    }
    const missing = [...this.averaged.keys()].filter((n) => !state.shadows.has(n));
    const extra = [...state.shadows.keys()].filter((n) => !this.averaged.has(n));
    if (missing.length || extra.length) {
      throw new Error(`EMA loadState: parameter names differ (missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)})`);
    }
    for (const [name, s] of this.averaged) {
      const { data, shape } = state.shadows.get(name)!;
      if (!(data instanceof Float32Array) || data.length !== s.size || !tf.util.arraysEqual([...shape], s.shape)) {
        throw new Error(
          `EMA loadState: ${JSON.stringify(name)} must be a Float32Array of shape [${s.shape}], got ${describe(data)} of shape [${shape}]`,
        );
      }
    }
    for (const [name, s] of this.averaged) {
      tf.tidy(() => s.assign(tf.tensor(state.shadows.get(name)!.data as Float32Array, s.shape, 'float32')));
    }
    this.step = state.step;
    this.lastDecay = state.step > 0 ? decayOf(state.step - 1, this.config) : 0;
  }

  /** Frees the shadow variables (the source variables are not touched). */
  dispose(): void {
    if (this.disposed) return;
    for (const s of this.averaged.values()) s.dispose();
    this.averaged.clear();
    this.disposed = true;
  }

  private checkNames(op: string, target: ReadonlyMap<string, tf.Variable>): void {
    for (const name of this.averaged.keys()) {
      if (!target.has(name)) throw new Error(`EMA ${op}: target has no variable ${JSON.stringify(name)}`);
    }
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('EMA: used after dispose()');
  }
}

function describe(v: unknown): string {
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  return v === undefined ? 'undefined' : typeof v;
}
