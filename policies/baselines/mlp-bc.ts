/**
 * Plain MLP behaviour cloning (fact sheet §5.4; IBC's `MLPMSE` with `layers='ResNetPreActivation'`,
 * ibc/networks/mlp_mse.py and ibc/networks/layers/resnet.py): a deterministic regression of the whole
 * normalized action chunk (Tp × Da) from the flattened normalized To-step observation history, trained on
 * MSE. Unimodal by construction, it averages the modes of multimodal demonstrations (left/right around the
 * T in Push-T): the baseline Diffusion Policy's Fig. 3 argues against.
 *
 *   x = flatten(O) [To·Do] → input Linear → width
 *   depth/2 blocks:  x ← x + Linear(drop(act(Linear(drop(act(x))))))      (pre-activation, no norm)
 *   → output Linear → Tp·Da, the normalized chunk; executed actions are indices To−1 … To−1+Ta−1.
 *
 * IBC's `depth` is len(hidden_sizes): the number of width×width Dense layers in the residual trunk, two
 * per block (it asserts depth is even), besides the input projection and the action head. So depth 8 is
 * 4 blocks and 10 Linear layers in all. Differences from IBC: IBC regresses a single action, this the chunk
 * (as every policy here); IBC inits kernels and biases with Keras 'normal' = N(0, 0.05) — `init: 'ibc'`
 * gives N(0, 0.05) weights but zero biases (policies/nn Linear), the default `'torch'` is nn.Linear's.
 * Observations and actions use Diffusion Policy's 'limits' normalizers.
 */
import { parseConfig } from '../core/config.ts';
import { z } from 'zod';
import * as tf from '../nn/tf.ts';
import { ModuleList } from '../nn/module.ts';
import { Dropout, Linear, makeInit, mish, Module, Rng, type Init } from '../nn/index.ts';
import { checkNormalizers, normalizersFromJSON, normalizersToJSON, type PolicyNormalizers, type PolicyNormalizersJSON } from '../core/normalizer.ts';
import { checkHorizons, type ObsBatch, type PolicyConfig, type PredictOptions } from '../core/policy.ts';
import type { TrainablePolicy, TrainBatch } from '../core/trainable.ts';

export const MlpBcConfig = z
  .object({
    /** Registered policy id. */
    id: z.literal('mlp_bc').default('mlp_bc'),
    /** Length of one flattened observation (Do). */
    obsDim: z.number().int().positive(),
    /** Length of one action (Da). */
    actionDim: z.number().int().positive(),
    /** To: observation steps flattened into the input (IBC: sequence_length 2). */
    obsHorizon: z.number().int().positive().default(2),
    /** Tp: action steps regressed. */
    predictionHorizon: z.number().int().positive().default(16),
    /** Ta: action steps executed per chunk. */
    actionHorizon: z.number().int().positive().default(8),
    /** Hidden width (IBC Push-T: 1024). */
    width: z.number().int().positive().default(1024),
    /** IBC's depth: width×width layers in the residual trunk, two per block, so even (IBC Push-T: 8 = 4 blocks). */
    depth: z.number().int().nonnegative().refine((d) => d % 2 === 0, { message: 'depth must be even (two Linear layers per residual block)' }).default(8),
    /** Dropout before each trunk Linear, training only (IBC Push-T: 0.1). */
    dropout: z.number().min(0).max(1).default(0.1),
    /** Nonlinearity (IBC: 'relu'; it also offers 'swish'; 'mish' is Diffusion Policy's). */
    activation: z.enum(['relu', 'swish', 'mish']).default('relu'),
    /** Initial weights: 'torch' (nn.Linear's U(±1/√fan_in)) or 'ibc' (N(0, 0.05) weights, zero biases). */
    init: z.enum(['torch', 'ibc']).default('torch'),
    /** AdamW weight decay, applied to every parameter (IBC trains with plain Adam: 0). */
    weightDecay: z.number().min(0).default(0),
    /** Seed of the initial weights. */
    initSeed: z.number().int().nonnegative().default(0),
  })
  .strict();
export type MlpBcConfig = z.output<typeof MlpBcConfig>;

export interface MlpBcPolicyJSON {
  config: MlpBcConfig;
  normalizers: PolicyNormalizersJSON;
}

export function parseMlpBcConfig(input: unknown): MlpBcConfig {
  return parseConfig(MlpBcConfig, input, 'mlp_bc config');
}

/** IBC's ResNetPreActivationLayer plus MLPMSE's action head: [B, in] → [B, out]. */
export class ResNetPreActivationMlp extends Module {
  readonly rng = new Rng(0);
  private readonly input: Linear;
  private readonly blocks: Array<{ l1: Linear; l2: Linear; d1: Dropout; d2: Dropout }> = [];
  private readonly output: Linear;

  constructor(inDim: number, outDim: number, private readonly cfg: Pick<MlpBcConfig, 'width' | 'depth' | 'dropout' | 'activation' | 'init'>, init: Init) {
    super();
    const opts = { init: cfg.init === 'ibc' ? { std: 0.05 } : ('torch' as const) };
    this.input = this.child('input', new Linear(inDim, cfg.width, init, opts));
    const list = this.child('blocks', new ModuleList());
    for (let i = 0; i < cfg.depth / 2; i++) {
      const b = list.add(String(i), new ModuleList());
      const d1 = b.add('drop1', new Dropout(cfg.dropout, this.rng));
      const l1 = b.add('linear1', new Linear(cfg.width, cfg.width, init, opts));
      const d2 = b.add('drop2', new Dropout(cfg.dropout, this.rng));
      const l2 = b.add('linear2', new Linear(cfg.width, cfg.width, init, opts));
      this.blocks.push({ l1, l2, d1, d2 });
    }
    this.output = this.child('output', new Linear(cfg.width, outDim, init, opts));
  }

  private act(x: tf.Tensor): tf.Tensor {
    if (this.cfg.activation === 'relu') return tf.relu(x);
    if (this.cfg.activation === 'swish') return tf.mul(x, tf.sigmoid(x));
    return mish(x);
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    let h = this.input.forward(x);
    for (const { l1, l2, d1, d2 } of this.blocks) {
      const y = l1.forward(d1.forward(this.act(h)));
      h = tf.add(h, l2.forward(d2.forward(this.act(y))));
    }
    return this.output.forward(h) as tf.Tensor2D;
  }
}

export class MlpBcPolicy implements TrainablePolicy {
  readonly config: PolicyConfig;
  readonly cfg: MlpBcConfig;
  readonly net: ResNetPreActivationMlp;
  private readonly norm: tf.Tensor1D[];

  constructor(
    config: z.input<typeof MlpBcConfig>,
    readonly normalizers: PolicyNormalizers,
  ) {
    const cfg = parseMlpBcConfig(config);
    this.cfg = cfg;
    this.config = { id: cfg.id, obsHorizon: cfg.obsHorizon, predictionHorizon: cfg.predictionHorizon, actionHorizon: cfg.actionHorizon, obsDim: cfg.obsDim, actionDim: cfg.actionDim };
    checkHorizons(this.config);
    checkNormalizers(cfg.id, normalizers, cfg.obsDim, cfg.actionDim);
    this.net = new ResNetPreActivationMlp(cfg.obsHorizon * cfg.obsDim, cfg.predictionHorizon * cfg.actionDim, cfg, makeInit(cfg.initSeed));
    // obs scale, obs offset, action scale, action offset.
    this.norm = [normalizers.obs.scale, normalizers.obs.offset, normalizers.action.scale, normalizers.action.offset].map((a) => tf.tensor1d(a));
  }

  static fromJSON(json: MlpBcPolicyJSON): MlpBcPolicy {
    return new MlpBcPolicy(json.config, normalizersFromJSON(json.normalizers));
  }

  toJSON(): MlpBcPolicyJSON {
    return { config: this.cfg, normalizers: normalizersToJSON(this.normalizers) };
  }

  namedVariables(): Map<string, tf.Variable> {
    return this.net.namedParameters();
  }
  parameterCount(): number {
    return this.net.parameterCount();
  }

  /** One group: every parameter decays by `weightDecay`. */
  weightDecay(_name: string): number {
    return this.cfg.weightDecay;
  }

  setTraining(on: boolean): void {
    this.net.train(on);
  }

  reset(): void {}

  /** Normalized chunk [B, Tp, Da] from raw observations B × To × Do. Call inside tf.tidy. */
  private forward(obs: Float32Array, B: number): tf.Tensor3D {
    const { obsHorizon: To, obsDim: Do, predictionHorizon: Tp, actionDim: Da } = this.cfg;
    if (obs.length !== B * To * Do) throw new Error(`mlp_bc: observations must be B × To × Do = ${B} × ${To} × ${Do} numbers, got ${obs.length}`);
    const x = tf.add(tf.mul(tf.tensor3d(obs, [B, To, Do]), this.norm[0]), this.norm[1]);
    return tf.reshape(this.net.forward(tf.reshape(x, [B, To * Do]) as tf.Tensor2D), [B, Tp, Da]) as tf.Tensor3D;
  }

  /** Mean squared error of the normalized chunk. Dropout masks (training mode) come from `seed` alone. */
  loss(batch: TrainBatch, seed: number): tf.Scalar {
    const { predictionHorizon: Tp, actionDim: Da } = this.cfg;
    const B = batch.batchSize;
    if (batch.action.length !== B * Tp * Da) throw new Error(`mlp_bc: actions must be B × Tp × Da = ${B} × ${Tp} × ${Da} numbers, got ${batch.action.length}`);
    this.net.rng.setState(new Rng(seed).getState());
    return tf.tidy(() => {
      const target = tf.add(tf.mul(tf.tensor3d(batch.action, [B, Tp, Da]), this.norm[2]), this.norm[3]);
      return tf.mean(tf.square(tf.sub(this.forward(batch.obs, B), target))) as tf.Scalar;
    });
  }

  /** Deterministic: dropout is off whatever the training mode, and `noiseSeeds` (if given) are only counted. */
  async predictChunk(obs: ObsBatch, opts: PredictOptions = {}): Promise<Float32Array[]> {
    return this.predict(obs, opts, false);
  }

  /** Like predictChunk, but the whole predicted Tp × Da sequence of each row. */
  async predictSequence(obs: ObsBatch, opts: PredictOptions = {}): Promise<Float32Array[]> {
    return this.predict(obs, opts, true);
  }

  private async predict(obs: ObsBatch, opts: PredictOptions, full: boolean): Promise<Float32Array[]> {
    const { obsHorizon: To, predictionHorizon: Tp, actionHorizon: Ta, actionDim: Da, obsDim: Do } = this.cfg;
    const B = obs.batchSize;
    if (obs.obsHorizon !== To || obs.obsDim !== Do) throw new Error(`mlp_bc: expects observation histories of ${To} × ${Do}, got ${obs.obsHorizon} × ${obs.obsDim}`);
    if (opts.noiseSeeds && opts.noiseSeeds.length !== B) throw new Error(`mlp_bc: noiseSeeds must have one seed per batch row (${B}), got ${opts.noiseSeeds.length}`);
    const training = this.net.training;
    this.net.train(false);
    let actions: tf.Tensor;
    try {
      actions = tf.tidy(() => tf.div(tf.sub(this.forward(obs.data, B), this.norm[3]), this.norm[2]));
    } finally {
      this.net.train(training);
    }
    const flat = (await actions.data()) as Float32Array;
    actions.dispose();
    const [from, len] = full ? [0, Tp] : [To - 1, Ta];
    return Array.from({ length: B }, (_, b) => flat.slice((b * Tp + from) * Da, (b * Tp + from + len) * Da));
  }

  dispose(): void {
    this.net.dispose();
    for (const t of this.norm) t.dispose();
  }
}
