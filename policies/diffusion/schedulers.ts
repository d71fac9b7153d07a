/**
 * The noise schedulers Diffusion Policy samples with, equivalent to diffusers' `DDPMScheduler` and
 * `DDIMScheduler` as the original configures them (fact sheet §3.6): 100 training steps,
 * `squaredcos_cap_v2` betas, ε-prediction, x̂0 clipped to [−1, 1], `fixed_small` variance.
 *
 * Schedule constants are float64 (the closed forms); tensor math is float32 on whatever backend is active.
 * Every tensor method returns a new tensor and disposes its intermediates; inputs are never disposed.
 * Sampling noise is always passed in, so a sampler seeded outside gives bit-for-bit repeatable chunks.
 */
import { z } from 'zod';
import * as tf from '../nn/tf.ts';

export interface BetaSchedule {
  betas: Float64Array;
  /** α_k = 1 − β_k. */
  alphas: Float64Array;
  /** ᾱ_k = ∏_{i≤k} α_i. */
  alphasCumprod: Float64Array;
}

/**
 * diffusers' `betas_for_alpha_bar` with the cosine ᾱ(t) = cos²(((t + 0.008)/1.008)·π/2) of Nichol &
 * Dhariwal (2021): β_i = min(1 − ᾱ((i+1)/T)/ᾱ(i/T), maxBeta), i = 0 … T−1.
 */
export function squaredcosCapV2Betas(numTrainTimesteps = 100, maxBeta = 0.999): BetaSchedule {
  if (!Number.isInteger(numTrainTimesteps) || numTrainTimesteps < 1) {
    throw new Error(`squaredcosCapV2Betas: numTrainTimesteps must be an integer ≥ 1, got ${numTrainTimesteps}`);
  }
  if (!(maxBeta > 0 && maxBeta < 1)) throw new Error(`squaredcosCapV2Betas: maxBeta must be in (0, 1), got ${maxBeta}`);
  const T = numTrainTimesteps;
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const betas = new Float64Array(T);
  const alphas = new Float64Array(T);
  const alphasCumprod = new Float64Array(T);
  let prod = 1;
  for (let i = 0; i < T; i++) {
    betas[i] = Math.min(1 - alphaBar((i + 1) / T) / alphaBar(i / T), maxBeta);
    alphas[i] = 1 - betas[i];
    prod *= alphas[i];
    alphasCumprod[i] = prod;
  }
  return { betas, alphas, alphasCumprod };
}

/** Per-step scalars of one DDPM reverse step k → prevK (diffusers `DDPMScheduler.step`), in float64. */
export interface DdpmStepCoefficients {
  alphaBar: number;
  /** ᾱ of prevK; 1 when prevK < 0. */
  alphaBarPrev: number;
  /** β_t = 1 − ᾱ_k/ᾱ_prev (= β_k when prevK = k − 1). */
  beta: number;
  /** x̂0 = x0FromSample·x_k − x0FromEps·ε̂. */
  x0FromSample: number;
  x0FromEps: number;
  /** Posterior mean μ = meanFromX0·x̂0 + meanFromSample·x_k. */
  meanFromX0: number;
  meanFromSample: number;
  /** fixed_small: σ² = β_t(1 − ᾱ_prev)/(1 − ᾱ_k), floored at 1e-20. */
  variance: number;
  /** Standard deviation of the added noise: √variance for k > 0, 0 at k = 0. */
  sigma: number;
}

export function ddpmStepCoefficients(alphasCumprod: ArrayLike<number>, k: number, prevK = k - 1): DdpmStepCoefficients {
  checkStep('DDPM', alphasCumprod.length, k, prevK);
  const alphaBar = alphasCumprod[k];
  const alphaBarPrev = prevK >= 0 ? alphasCumprod[prevK] : 1;
  const alpha = alphaBar / alphaBarPrev;
  const beta = 1 - alpha;
  const variance = Math.max((beta * (1 - alphaBarPrev)) / (1 - alphaBar), 1e-20);
  return {
    alphaBar,
    alphaBarPrev,
    beta,
    x0FromSample: 1 / Math.sqrt(alphaBar),
    x0FromEps: Math.sqrt(1 - alphaBar) / Math.sqrt(alphaBar),
    meanFromX0: (Math.sqrt(alphaBarPrev) * beta) / (1 - alphaBar),
    meanFromSample: (Math.sqrt(alpha) * (1 - alphaBarPrev)) / (1 - alphaBar),
    variance,
    sigma: k > 0 ? Math.sqrt(variance) : 0,
  };
}

/** Per-step scalars of one deterministic (η = 0) DDIM step k → prevK, in float64. */
export interface DdimStepCoefficients {
  alphaBar: number;
  /** ᾱ of prevK; `finalAlphaCumprod` when prevK < 0. */
  alphaBarPrev: number;
  x0FromSample: number;
  x0FromEps: number;
  /** x_prev = prevFromX0·x̂0 + prevFromEps·ε̂. */
  prevFromX0: number;
  prevFromEps: number;
}

export function ddimStepCoefficients(
  alphasCumprod: ArrayLike<number>,
  k: number,
  prevK: number,
  finalAlphaCumprod = 1,
): DdimStepCoefficients {
  checkStep('DDIM', alphasCumprod.length, k, prevK);
  const alphaBar = alphasCumprod[k];
  const alphaBarPrev = prevK >= 0 ? alphasCumprod[prevK] : finalAlphaCumprod;
  return {
    alphaBar,
    alphaBarPrev,
    x0FromSample: 1 / Math.sqrt(alphaBar),
    x0FromEps: Math.sqrt(1 - alphaBar) / Math.sqrt(alphaBar),
    prevFromX0: Math.sqrt(alphaBarPrev),
    prevFromEps: Math.sqrt(1 - alphaBarPrev),
  };
}

/** diffusers' 'leading' spacing: ratio = T // n, timesteps = arange(0, n)·ratio reversed, + offset. */
export function leadingTimesteps(numTrainTimesteps: number, numInferenceSteps: number, stepsOffset = 0): Int32Array {
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1 || numInferenceSteps > numTrainTimesteps) {
    throw new Error(`numInferenceSteps must be an integer in [1, ${numTrainTimesteps}], got ${numInferenceSteps}`);
  }
  const ratio = Math.floor(numTrainTimesteps / numInferenceSteps);
  const out = new Int32Array(numInferenceSteps);
  for (let i = 0; i < numInferenceSteps; i++) out[i] = (numInferenceSteps - 1 - i) * ratio + stepsOffset;
  return out;
}

function checkStep(who: string, T: number, k: number, prevK: number): void {
  if (!Number.isInteger(k) || k < 0 || k >= T) throw new Error(`${who} step: k must be an integer in [0, ${T - 1}], got ${k}`);
  if (!Number.isInteger(prevK) || prevK >= k) throw new Error(`${who} step: prevK must be an integer < k = ${k}, got ${prevK}`);
}

const common = {
  /** Diffusion steps the model is trained on (DP: 100). */
  numTrainTimesteps: z.number().int().min(2).max(100_000).default(100),
  /** The only schedule DP uses; linear/scaled_linear are not implemented. */
  betaSchedule: z.literal('squaredcos_cap_v2').default('squaredcos_cap_v2'),
  /** Clip x̂0 to [−clipSampleRange, clipSampleRange] (DP: true; actions are normalized to [−1, 1]). */
  clipSample: z.boolean().default(true),
  clipSampleRange: z.number().positive().default(1),
  /** The network predicts the noise ε (DP's configs); 'sample' / 'v_prediction' are not implemented. */
  predictionType: z.literal('epsilon').default('epsilon'),
};

export const DDPMSchedulerConfig = z
  .object({
    ...common,
    /** σ_k² = posterior variance β̃_k (DP: fixed_small; fixed_small_log "easy to cause NaN"). */
    varianceType: z.literal('fixed_small').default('fixed_small'),
  })
  .strict();
export type DDPMSchedulerConfig = z.output<typeof DDPMSchedulerConfig>;

export const DDIMSchedulerConfig = z
  .object({
    ...common,
    /** ᾱ of the step before 0: 1 (true, as DP's DDIM config) or ᾱ_0 (false). */
    setAlphaToOne: z.boolean().default(true),
    /** Added to every inference timestep (DP: 0). */
    stepsOffset: z.number().int().min(0).default(0),
  })
  .strict();
export type DDIMSchedulerConfig = z.output<typeof DDIMSchedulerConfig>;

function parseConfig<S extends z.ZodType>(who: string, schema: S, options: unknown): z.output<S> {
  const r = schema.safeParse(options ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${who}: bad option ${issue.path.join('.') || '(options)'}: ${issue.message}`);
  }
  return r.data;
}

/** What both schedulers share: the schedule and the forward (noising) process. */
abstract class NoiseScheduler {
  readonly betas: Float64Array;
  readonly alphas: Float64Array;
  readonly alphasCumprod: Float64Array;

  protected constructor(
    protected readonly who: string,
    readonly numTrainTimesteps: number,
    private readonly clip: number | null,
  ) {
    const s = squaredcosCapV2Betas(numTrainTimesteps);
    this.betas = s.betas;
    this.alphas = s.alphas;
    this.alphasCumprod = s.alphasCumprod;
  }

  /**
   * Forward process q(x_k | x0): x_k = √ᾱ_k·x0 + √(1 − ᾱ_k)·ε, with one k per batch row.
   * x0 and noise: float32 [B, …]; timesteps: int32 [B] (a tensor is read back to validate it).
   */
  addNoise(x0: tf.Tensor, noise: tf.Tensor, timesteps: tf.Tensor | Int32Array | readonly number[]): tf.Tensor {
    this.checkPair('addNoise', 'x0', x0, 'noise', noise);
    if (x0.rank < 1) throw new Error(`${this.who} addNoise: x0 must have a batch dimension, got a scalar`);
    let ks: ArrayLike<number>;
    if (timesteps instanceof tf.Tensor) {
      if (timesteps.dtype !== 'int32' || timesteps.rank !== 1) {
        throw new Error(`${this.who} addNoise: timesteps must be an int32 tensor [B], got ${timesteps.dtype} [${timesteps.shape}]`);
      }
      ks = timesteps.dataSync();
    } else {
      ks = timesteps;
    }
    const B = x0.shape[0];
    if (ks.length !== B) throw new Error(`${this.who} addNoise: need one timestep per batch row (${B}), got ${ks.length}`);
    const a = new Float32Array(B);
    const b = new Float32Array(B);
    for (let i = 0; i < B; i++) {
      const k = ks[i];
      if (!Number.isInteger(k) || k < 0 || k >= this.numTrainTimesteps) {
        throw new Error(`${this.who} addNoise: timesteps[${i}] must be an integer in [0, ${this.numTrainTimesteps - 1}], got ${k}`);
      }
      a[i] = Math.sqrt(this.alphasCumprod[k]);
      b[i] = Math.sqrt(1 - this.alphasCumprod[k]);
    }
    const shape = [B, ...x0.shape.slice(1).map(() => 1)];
    return tf.tidy(() => tf.add(tf.mul(x0, tf.tensor(a, shape)), tf.mul(noise, tf.tensor(b, shape))));
  }

  /** Float64 x̂0 coefficients at k: x̂0 = x0FromSample·x_k − x0FromEps·ε̂. */
  protected abstract x0Coefficients(k: number): { x0FromSample: number; x0FromEps: number };

  /** The denoised estimate x̂0 = (x_k − √(1 − ᾱ_k)·ε̂)/√ᾱ_k, clipped when configured (a new tensor). */
  predictX0(epsPred: tf.Tensor, k: number, sample: tf.Tensor): tf.Tensor {
    this.checkPair('predictX0', 'sample', sample, 'epsPred', epsPred);
    const c = this.x0Coefficients(k);
    return tf.tidy(() => this.x0(sample, epsPred, c.x0FromSample, c.x0FromEps));
  }

  /** x̂0 from float64 coefficients. Call inside tf.tidy. */
  protected x0(sample: tf.Tensor, epsPred: tf.Tensor, x0FromSample: number, x0FromEps: number): tf.Tensor {
    const x0 = tf.sub(tf.mul(sample, x0FromSample), tf.mul(epsPred, x0FromEps));
    return this.clip === null ? x0 : tf.clipByValue(x0, -this.clip, this.clip);
  }

  protected checkPair(op: string, an: string, a: tf.Tensor, bn: string, b: tf.Tensor): void {
    if (a.dtype !== 'float32') throw new Error(`${this.who} ${op}: ${an} must be float32, got ${a.dtype}`);
    if (b.dtype !== 'float32') throw new Error(`${this.who} ${op}: ${bn} must be float32, got ${b.dtype}`);
    if (!tf.util.arraysEqual(a.shape, b.shape)) {
      throw new Error(`${this.who} ${op}: ${bn} must have the shape of ${an} [${a.shape}], got [${b.shape}]`);
    }
  }
}

/** diffusers `DDPMScheduler` (ancestral sampling), as DP configures it. */
export class DDPMScheduler extends NoiseScheduler {
  readonly config: DDPMSchedulerConfig;

  constructor(options: z.input<typeof DDPMSchedulerConfig> = {}) {
    const config = parseConfig('DDPMScheduler', DDPMSchedulerConfig, options);
    super('DDPMScheduler', config.numTrainTimesteps, config.clipSample ? config.clipSampleRange : null);
    this.config = config;
  }

  /** Inference timesteps, leading spacing; 100 of 100 gives 99, 98, …, 0 (DP's sampling). */
  timesteps(numInference = this.numTrainTimesteps): Int32Array {
    return leadingTimesteps(this.numTrainTimesteps, numInference);
  }

  /** Float64 scalars of the step from k (to k − T/numInference, as diffusers' `previous_timestep`). */
  coefficients(k: number, numInference = this.numTrainTimesteps): DdpmStepCoefficients {
    return ddpmStepCoefficients(this.alphasCumprod, k, k - this.stepRatio(numInference));
  }

  /**
   * One reverse step x_k → x_prev: x̂0 from ε̂ (clipped), posterior mean μ, plus σ_k·z for k > 0.
   * `noise` is z ~ N(0, I) of the sample's shape; it is required for k > 0 and ignored at k = 0.
   */
  step(epsPred: tf.Tensor, k: number, sample: tf.Tensor, noise: tf.Tensor | null, numInference = this.numTrainTimesteps): tf.Tensor {
    this.checkPair('step', 'sample', sample, 'epsPred', epsPred);
    const c = this.coefficients(k, numInference);
    if (k > 0) {
      if (noise === null) throw new Error(`${this.who} step: noise z is required for k > 0 (k = ${k})`);
      this.checkPair('step', 'sample', sample, 'noise', noise);
    }
    return tf.tidy(() => {
      const x0 = this.x0(sample, epsPred, c.x0FromSample, c.x0FromEps);
      const mean = tf.add(tf.mul(x0, c.meanFromX0), tf.mul(sample, c.meanFromSample));
      return k > 0 && noise !== null ? tf.add(mean, tf.mul(noise, c.sigma)) : mean;
    });
  }

  protected x0Coefficients(k: number): DdpmStepCoefficients {
    return ddpmStepCoefficients(this.alphasCumprod, k, k - 1);
  }

  private stepRatio(numInference: number): number {
    if (!Number.isInteger(numInference) || numInference < 1 || numInference > this.numTrainTimesteps) {
      throw new Error(`${this.who}: numInference must be an integer in [1, ${this.numTrainTimesteps}], got ${numInference}`);
    }
    return Math.floor(this.numTrainTimesteps / numInference);
  }
}

/** diffusers `DDIMScheduler` with η = 0 (deterministic), as DP's DDIM configs use it. */
export class DDIMScheduler extends NoiseScheduler {
  readonly config: DDIMSchedulerConfig;
  /** ᾱ of a step before 0. */
  readonly finalAlphaCumprod: number;
  private nInference = 0;
  private ratio = 0;
  private ts: Int32Array = new Int32Array(0);

  constructor(options: z.input<typeof DDIMSchedulerConfig> = {}) {
    const config = parseConfig('DDIMScheduler', DDIMSchedulerConfig, options);
    super('DDIMScheduler', config.numTrainTimesteps, config.clipSample ? config.clipSampleRange : null);
    this.config = config;
    this.finalAlphaCumprod = config.setAlphaToOne ? 1 : this.alphasCumprod[0];
  }

  /** Chooses n inference steps; returns the timesteps to visit (leading spacing, descending). */
  setTimesteps(n: number): Int32Array {
    const ts = leadingTimesteps(this.numTrainTimesteps, n, this.config.stepsOffset);
    this.nInference = n;
    this.ratio = Math.floor(this.numTrainTimesteps / n);
    this.ts = ts;
    return ts.slice();
  }

  get numInferenceSteps(): number {
    return this.nInference;
  }

  /** The timesteps of the last `setTimesteps` (a copy). */
  get timesteps(): Int32Array {
    return this.ts.slice();
  }

  /** Float64 scalars of the step from k to k − T // n. */
  coefficients(k: number): DdimStepCoefficients {
    if (this.nInference === 0) throw new Error(`${this.who}: call setTimesteps(n) before stepping`);
    return ddimStepCoefficients(this.alphasCumprod, k, k - this.ratio, this.finalAlphaCumprod);
  }

  protected x0Coefficients(k: number): DdimStepCoefficients {
    // x̂0 depends on ᾱ_k only, so it needs no setTimesteps.
    return ddimStepCoefficients(this.alphasCumprod, k, k - 1, this.finalAlphaCumprod);
  }

  /**
   * One η = 0 step x_k → x_{k − T//n}: x̂0 from ε̂ (clipped), then √ᾱ_prev·x̂0 + √(1 − ᾱ_prev)·ε̂ with the
   * predicted ε̂ (diffusers' default `use_clipped_model_output=False`).
   */
  step(epsPred: tf.Tensor, k: number, sample: tf.Tensor): tf.Tensor {
    this.checkPair('step', 'sample', sample, 'epsPred', epsPred);
    const c = this.coefficients(k);
    return tf.tidy(() => {
      const x0 = this.x0(sample, epsPred, c.x0FromSample, c.x0FromEps);
      return tf.add(tf.mul(x0, c.prevFromX0), tf.mul(epsPred, c.prevFromEps));
    });
  }
}
