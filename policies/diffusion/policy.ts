/**
 * Diffusion Policy (Chi et al., RSS 2023): a denoiser εθ(O, A^k, k) over action chunks, trained on
 * ‖εθ − ε‖², sampled by DDPM or DDIM, executed with a receding horizon.
 *
 *   time:        t-1   t    t+1  …   t+Ta-1  …  t+Tp-2
 *   observed:   |o   |o   |                                 To = obsHorizon (2)
 *   predicted:  |a   |a   |a   | … |a      | … |a      |    Tp = predictionHorizon (16)
 *   executed:        |a   |a   | … |a      |                Ta = actionHorizon (8): indices To-1 … To-1+Ta-1
 *
 * Observations and actions are normalized to [−1, 1] by the original's 'limits' rule; the observation
 * history conditions the denoiser globally (DP-C: flattened into the FiLM condition; DP-T: as memory
 * tokens for cross-attention). With `vision`, each observation step is a camera image plus the low-dim
 * values (agent position), encoded by the original's ResNet-18 + spatial-softmax encoder
 * (policies/vision/encoder.ts) and trained end to end with the denoiser (the hybrid image policies).
 * Noise is injectable: every batch row samples from its own seed, so a rollout's actions do not depend
 * on how envs are batched.
 */
import { parseConfig } from '../core/config.ts';
import { z } from 'zod';
import * as tf from '../nn/tf.ts';
import { makeInit, Rng } from '../nn/init.ts';
import { checkNormalizers, normalizersFromJSON, normalizersToJSON, type PolicyNormalizers, type PolicyNormalizersJSON } from '../core/normalizer.ts';
import { checkHorizons, type ObsBatch, type PolicyConfig, type PredictOptions } from '../core/policy.ts';
import type { TrainablePolicy, TrainBatch } from '../core/trainable.ts';
import { DDIMScheduler, DDPMScheduler } from './schedulers.ts';
import { ConditionalUnet1D } from './unet1d.ts';
import { TransformerForDiffusion } from './transformer.ts';
import { ObsEncoder, VisionOptions } from '../vision/encoder.ts';

export const UnetOptions = z
  .object({
    /** Diffusion step embedding (the paper: 256 for state inputs, 128 for images). */
    diffusionStepEmbedDim: z.number().int().min(4).default(256),
    /** Channels per U-Net level (the paper: [256, 512, 1024]). */
    downDims: z.array(z.number().int().positive()).min(1).default([256, 512, 1024]),
    kernelSize: z.number().int().positive().default(5),
    nGroups: z.number().int().positive().default(8),
    /** FiLM predicts per-channel scale and bias (true in the paper). */
    condPredictScale: z.boolean().default(true),
  })
  .strict();

export const TransformerOptions = z
  .object({
    nLayer: z.number().int().positive().default(8),
    nHead: z.number().int().positive().default(4),
    nEmb: z.number().int().positive().default(256),
    /** Embedding dropout (Push-T: 0). */
    pDropEmb: z.number().min(0).max(1).default(0),
    /** Attention and feed-forward dropout (Push-T: 0.01). */
    pDropAttn: z.number().min(0).max(1).default(0.01),
    causalAttn: z.boolean().default(true),
  })
  .strict();

export const DiffusionPolicyConfig = z
  .object({
    /** `diffusion_unet` (DP-C, the CNN) or `diffusion_transformer` (DP-T). */
    id: z.enum(['diffusion_unet', 'diffusion_transformer']),
    obsDim: z.number().int().positive(),
    actionDim: z.number().int().positive(),
    /** To. */
    obsHorizon: z.number().int().positive().default(2),
    /** Tp. */
    predictionHorizon: z.number().int().positive().default(16),
    /** Ta. */
    actionHorizon: z.number().int().positive().default(8),
    /** Training diffusion steps (the paper: 100). */
    numTrainTimesteps: z.number().int().min(2).max(1000).default(100),
    /** Sampler at inference: DDPM with all steps (the paper's sim numbers) or DDIM with fewer. */
    inference: z.object({ scheduler: z.enum(['ddpm', 'ddim']).default('ddpm'), steps: z.number().int().positive().default(100) }).strict().default({ scheduler: 'ddpm', steps: 100 }),
    /** AdamW weight decay (CNN: 1e-6 on every parameter; transformer: 0.1 on Linear/attention weights for Push-T). */
    weightDecay: z.number().min(0).default(1e-6),
    unet: UnetOptions.default(UnetOptions.parse({})),
    transformer: TransformerOptions.default(TransformerOptions.parse({})),
    /** Seed of the initial weights. */
    initSeed: z.number().int().nonnegative().default(0),
    /**
     * Image observations (the original's hybrid image policies): a camera image per observation step,
     * encoded to `featureDim` and joined by the obsDim low-dim values (agent position). Absent: low-dim only
     * (absent rather than null by default, so low-dim configs and their hashes are as before).
     */
    vision: VisionOptions.optional(),
    /** One stored camera image [H, W, C] (Push-T: 96×96×3); the harness fills it from the dataset, as obsDim. */
    imageShape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]).optional(),
  })
  .strict();
export type DiffusionPolicyConfig = z.output<typeof DiffusionPolicyConfig>;

export interface DiffusionPolicyJSON {
  config: DiffusionPolicyConfig;
  normalizers: PolicyNormalizersJSON;
}

/** Prefix of the image encoder's parameter names (the original policy's `obs_encoder` submodule). */
const ENCODER_PREFIX = 'obs_encoder.';

export function parseDiffusionConfig(input: unknown): DiffusionPolicyConfig {
  return parseConfig(DiffusionPolicyConfig, input, 'diffusion policy config');
}

export class DiffusionPolicy implements TrainablePolicy {
  readonly config: PolicyConfig;
  readonly cfg: DiffusionPolicyConfig;
  private readonly unet: ConditionalUnet1D | null = null;
  private readonly transformer: TransformerForDiffusion | null = null;
  private readonly obsEncoder: ObsEncoder | null = null;
  /** Size of one encoded observation step: obsDim, or with vision the image feature + obsDim. */
  readonly obsFeatureDim: number;
  private readonly ddpm: DDPMScheduler;
  private readonly ddim: DDIMScheduler;
  private readonly obsScale: tf.Tensor1D;
  private readonly obsOffset: tf.Tensor1D;
  private readonly actScale: tf.Tensor1D;
  private readonly actOffset: tf.Tensor1D;

  constructor(
    config: z.input<typeof DiffusionPolicyConfig>,
    readonly normalizers: PolicyNormalizers,
  ) {
    const cfg = parseDiffusionConfig(config);
    this.cfg = cfg;
    this.config = { id: cfg.id, obsHorizon: cfg.obsHorizon, predictionHorizon: cfg.predictionHorizon, actionHorizon: cfg.actionHorizon, obsDim: cfg.obsDim, actionDim: cfg.actionDim };
    checkHorizons(this.config);
    checkNormalizers(cfg.id, normalizers, cfg.obsDim, cfg.actionDim);
    const init = makeInit(cfg.initSeed);
    if (cfg.vision) {
      if (!cfg.imageShape) throw new Error(`${cfg.id}: vision needs imageShape, one stored camera image [H, W, C]`);
      this.obsEncoder = new ObsEncoder({ ...cfg.vision, imageShape: cfg.imageShape, lowDim: cfg.obsDim }, init);
    }
    this.obsFeatureDim = this.obsEncoder?.outFeatures ?? cfg.obsDim;
    if (cfg.id === 'diffusion_unet') {
      this.unet = new ConditionalUnet1D({ inputDim: cfg.actionDim, globalCondDim: this.obsFeatureDim * cfg.obsHorizon, ...cfg.unet }, init);
      this.unet.checkHorizon(cfg.predictionHorizon);
    } else {
      this.transformer = new TransformerForDiffusion(
        { inputDim: cfg.actionDim, horizon: cfg.predictionHorizon, nObsSteps: cfg.obsHorizon, condDim: this.obsFeatureDim, ...cfg.transformer },
        init,
        cfg.initSeed,
      );
    }
    this.ddpm = new DDPMScheduler({ numTrainTimesteps: cfg.numTrainTimesteps });
    this.ddim = new DDIMScheduler({ numTrainTimesteps: cfg.numTrainTimesteps });
    if (cfg.inference.scheduler === 'ddim') this.ddim.setTimesteps(cfg.inference.steps);
    else if (cfg.inference.steps !== cfg.numTrainTimesteps) throw new Error(`${cfg.id}: DDPM samples with all ${cfg.numTrainTimesteps} steps; use inference.scheduler 'ddim' for ${cfg.inference.steps}`);
    this.obsScale = tf.tensor1d(normalizers.obs.scale);
    this.obsOffset = tf.tensor1d(normalizers.obs.offset);
    this.actScale = tf.tensor1d(normalizers.action.scale);
    this.actOffset = tf.tensor1d(normalizers.action.offset);
  }

  static fromJSON(json: DiffusionPolicyJSON): DiffusionPolicy {
    return new DiffusionPolicy(json.config, normalizersFromJSON(json.normalizers));
  }

  toJSON(): DiffusionPolicyJSON {
    return { config: this.cfg, normalizers: normalizersToJSON(this.normalizers) };
  }

  private get net(): ConditionalUnet1D | TransformerForDiffusion {
    return (this.unet ?? this.transformer)!;
  }

  /** The denoiser's parameters under the original's names, then the image encoder's under `obs_encoder.`. */
  namedVariables(): Map<string, tf.Variable> {
    const vars = this.net.namedParameters();
    if (this.obsEncoder) for (const [n, v] of this.obsEncoder.namedParameters(ENCODER_PREFIX)) vars.set(n, v);
    return vars;
  }

  parameterCount(): number {
    return this.net.parameterCount() + (this.obsEncoder?.parameterCount() ?? 0);
  }

  weightDecay(name: string): number {
    // DP-C: one AdamW group over everything; DP-T: minGPT groups for the transformer, obs_encoder_weight_decay for the encoder.
    if (this.transformer && name.startsWith(ENCODER_PREFIX)) return this.cfg.vision!.weightDecay;
    if (this.transformer) return this.transformer.isDecayed(name) ? this.cfg.weightDecay : 0;
    return this.cfg.weightDecay;
  }

  setTraining(on: boolean): void {
    this.net.train(on);
    this.obsEncoder?.train(on);
  }

  reset(): void {}

  /** εθ(O, A^k, k): noisy normalized actions [B, Tp, Da], steps [B], encoded obs [B, To, obsFeatureDim] (also timed by perf). */
  denoise(sample: tf.Tensor3D, k: tf.Tensor1D, obs: tf.Tensor3D): tf.Tensor3D {
    if (this.unet) return this.unet.forward(sample, k, tf.reshape(obs, [obs.shape[0], -1]) as tf.Tensor2D);
    return this.transformer!.forward(sample, k, obs);
  }

  private normObs(obs: Float32Array, B: number): tf.Tensor3D {
    const { obsHorizon: To, obsDim: Do } = this.cfg;
    if (obs.length !== B * To * Do) throw new Error(`${this.cfg.id}: observations must be B × To × Do = ${B} × ${To} × ${Do} numbers, got ${obs.length}`);
    return tf.tidy(() => tf.add(tf.mul(tf.tensor3d(obs, [B, To, Do]), this.obsScale), this.obsOffset) as tf.Tensor3D);
  }

  /**
   * The denoiser's condition [B, To, obsFeatureDim]: the normalized low-dim observations, with vision each
   * step's image feature before them. `cropRng`: random crops drawn from it; null: centre crops.
   */
  private encodeObs(obs: Float32Array, images: Uint8Array | undefined, B: number, cropRng: Rng | null): tf.Tensor3D {
    if (!this.obsEncoder) return this.normObs(obs, B);
    const { obsHorizon: To, obsDim: Do } = this.cfg;
    const [H, W, C] = this.cfg.imageShape!;
    if (!images || images.length !== B * To * H * W * C) {
      throw new Error(`${this.cfg.id}: an image policy needs B × To images of ${H}×${W}×${C} uint8 (${B * To * H * W * C} bytes), got ${images ? images.length : 'none'}`);
    }
    return tf.tidy(() => {
      const lowDim = tf.reshape(this.normObs(obs, B), [B * To, Do]) as tf.Tensor2D;
      const feats = this.obsEncoder!.forward(images, lowDim, cropRng);
      return tf.reshape(feats, [B, To, this.obsFeatureDim]) as tf.Tensor3D;
    });
  }

  loss(batch: TrainBatch, seed: number): tf.Scalar {
    const { predictionHorizon: Tp, actionDim: Da, numTrainTimesteps } = this.cfg;
    const B = batch.batchSize;
    if (batch.action.length !== B * Tp * Da) throw new Error(`${this.cfg.id}: actions must be B × Tp × Da = ${B} × ${Tp} × ${Da} numbers, got ${batch.action.length}`);
    // All randomness of the step from `seed`: the noise ε, the diffusion steps k, the dropout masks.
    const rng = new Rng(seed);
    const eps = new Float32Array(B * Tp * Da);
    for (let i = 0; i < eps.length; i++) eps[i] = rng.normal();
    const ks = new Int32Array(B);
    for (let b = 0; b < B; b++) ks[b] = Math.min(numTrainTimesteps - 1, Math.floor(rng.float() * numTrainTimesteps));
    if (this.transformer) this.transformer.rng.setState(new Rng(rng.float() * 2 ** 32 >>> 0).getState());
    // Random crops in training mode (the original's CropRandomizer), centre crops otherwise (validation).
    const cropRng = this.obsEncoder?.training ? new Rng((rng.float() * 2 ** 32) >>> 0) : null;
    return tf.tidy(() => {
      const obs = this.encodeObs(batch.obs, batch.images, B, cropRng);
      const x0 = tf.add(tf.mul(tf.tensor3d(batch.action, [B, Tp, Da]), this.actScale), this.actOffset);
      const noise = tf.tensor3d(eps, [B, Tp, Da]);
      const noisy = this.ddpm.addNoise(x0, noise, ks) as tf.Tensor3D;
      const pred = this.denoise(noisy, tf.tensor1d(Float32Array.from(ks)), obs);
      return tf.mean(tf.square(tf.sub(pred, noise))) as tf.Scalar;
    });
  }

  async predictChunk(obs: ObsBatch, opts: PredictOptions = {}): Promise<Float32Array[]> {
    return this.sampleChunks(obs, opts, false);
  }

  /** Like predictChunk, but the whole predicted Tp × Da sequence of each row (diversity probes, plots). */
  async predictSequence(obs: ObsBatch, opts: PredictOptions = {}): Promise<Float32Array[]> {
    return this.sampleChunks(obs, opts, true);
  }

  private async sampleChunks(obs: ObsBatch, opts: PredictOptions, full: boolean): Promise<Float32Array[]> {
    const { obsHorizon: To, predictionHorizon: Tp, actionHorizon: Ta, actionDim: Da, obsDim: Do } = this.cfg;
    const B = obs.batchSize;
    if (obs.obsHorizon !== To || obs.obsDim !== Do) throw new Error(`${this.cfg.id}: expects observation histories of ${To} × ${Do}, got ${obs.obsHorizon} × ${obs.obsDim}`);
    const seeds = opts.noiseSeeds ?? Array.from({ length: B }, () => Math.floor(Math.random() * 2 ** 32));
    if (seeds.length !== B) throw new Error(`${this.cfg.id}: noiseSeeds must have one seed per batch row (${B}), got ${seeds.length}`);
    const rngs = seeds.map((s) => new Rng(s >>> 0));
    const draw = () => {
      const z = new Float32Array(B * Tp * Da);
      for (let b = 0; b < B; b++) for (let i = 0; i < Tp * Da; i++) z[b * Tp * Da + i] = rngs[b].normal();
      return tf.tensor3d(z, [B, Tp, Da]);
    };
    // Sampling always sees centre crops (the original evaluates with eval_fixed_crop).
    const cond = this.encodeObs(obs.data, obs.images, B, null);
    let x = draw();
    const ddim = this.cfg.inference.scheduler === 'ddim';
    const steps = ddim ? this.ddim.timesteps : this.ddpm.timesteps();
    for (const k of steps) {
      const next = tf.tidy(() => {
        const eps = this.denoise(x, tf.fill([B], k) as tf.Tensor1D, cond);
        return ddim ? this.ddim.step(eps, k, x) : this.ddpm.step(eps, k, x, k > 0 ? draw() : null);
      });
      x.dispose();
      x = next as tf.Tensor3D;
    }
    const actions = tf.tidy(() => tf.div(tf.sub(x, this.actOffset), this.actScale));
    const flat = (await actions.data()) as Float32Array;
    actions.dispose();
    x.dispose();
    cond.dispose();
    const from = full ? 0 : To - 1;
    const len = full ? Tp : Ta;
    return Array.from({ length: B }, (_, b) => flat.slice((b * Tp + from) * Da, (b * Tp + from + len) * Da));
  }

  dispose(): void {
    this.net.dispose();
    this.obsEncoder?.dispose();
    for (const t of [this.obsScale, this.obsOffset, this.actScale, this.actOffset]) t.dispose();
  }
}
