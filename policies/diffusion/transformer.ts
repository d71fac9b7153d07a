/**
 * TransformerForDiffusion, the denoiser of Diffusion Policy's transformer variant (DP-T; diffusion_policy
 * model/diffusion/transformer_for_diffusion.py), with the original's parameters (names, shapes, init):
 *
 *   tokens:  the noisy action sequence → Linear(Da, E) + learned positions → the decoder's queries
 *   memory:  [time token = SinusoidalPosEmb(E)(k), To obs tokens = Linear(Do, E)(o_t)] + learned
 *            positions → encoder MLP Linear(E, 4E) → Mish → Linear(4E, E)   (n_cond_layers = 0)
 *   trunk:   n_layer pre-LayerNorm TransformerDecoder layers (self-attention with a causal mask,
 *            cross-attention to the memory with the original's memory mask, GELU feed-forward 4E)
 *   head:    LayerNorm → Linear(E, Da)
 *
 * Masks: action token t attends to action tokens ≤ t, and to memory token s iff t ≥ s − 1 (s = 0 is the
 * time token, s = 1… the obs tokens), so every action token sees the time and the first obs.
 * Init: Linear and attention weights N(0, 0.02), biases 0, LayerNorm (1, 0), positions N(0, 0.02).
 */
import * as tf from '../nn/tf.ts';
import { Module, ModuleList, type Init } from '../nn/module.ts';
import { Linear } from '../nn/linear.ts';
import { LayerNorm } from '../nn/norm.ts';
import { Dropout } from '../nn/dropout.ts';
import { MultiheadAttention, attentionMask } from '../nn/attention.ts';
import { SinusoidalPosEmb } from '../nn/embedding.ts';
import { Rng } from '../nn/init.ts';
import { gelu, mish } from '../nn/ops.ts';

export interface TransformerConfig {
  /** Action dimension (input and output). */
  inputDim: number;
  /** Prediction horizon Tp (action tokens). */
  horizon: number;
  /** To: observation tokens. */
  nObsSteps: number;
  /** Size of one observation. */
  condDim: number;
  nLayer: number;
  nHead: number;
  nEmb: number;
  /** Dropout on the token and memory embeddings (the paper: 0 for Push-T). */
  pDropEmb: number;
  /** Dropout in attention and feed-forward (the paper: 0.01 for Push-T, 0.3 elsewhere). */
  pDropAttn: number;
  causalAttn: boolean;
}

const STD = 0.02;

class DecoderLayer extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly crossAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;
  readonly drop: Dropout;
  readonly drop1: Dropout;
  readonly drop2: Dropout;
  readonly drop3: Dropout;
  constructor(E: number, heads: number, p: number, init: Init, rng: Rng) {
    super();
    // torch.nn.TransformerDecoderLayer(d_model=E, nhead, dim_feedforward=4E, dropout=p, activation='gelu',
    // batch_first=True, norm_first=True), parameter names as torch's.
    this.selfAttn = this.child('self_attn', new MultiheadAttention(E, heads, init, { dropout: p, rng, init: { std: STD } }));
    this.crossAttn = this.child('multihead_attn', new MultiheadAttention(E, heads, init, { dropout: p, rng, init: { std: STD } }));
    this.linear1 = this.child('linear1', new Linear(E, 4 * E, init, { init: { std: STD } }));
    this.linear2 = this.child('linear2', new Linear(4 * E, E, init, { init: { std: STD } }));
    this.norm1 = this.child('norm1', new LayerNorm(E));
    this.norm2 = this.child('norm2', new LayerNorm(E));
    this.norm3 = this.child('norm3', new LayerNorm(E));
    this.drop = this.child('dropout', new Dropout(p, rng));
    this.drop1 = this.child('dropout1', new Dropout(p, rng));
    this.drop2 = this.child('dropout2', new Dropout(p, rng));
    this.drop3 = this.child('dropout3', new Dropout(p, rng));
  }

  forward(x: tf.Tensor3D, memory: tf.Tensor3D, tgtMask: tf.Tensor2D | undefined, memMask: tf.Tensor2D | undefined): tf.Tensor3D {
    const h1 = this.norm1.forward(x) as tf.Tensor3D;
    x = tf.add(x, this.drop1.forward(this.selfAttn.forward(h1, h1, h1, tgtMask))) as tf.Tensor3D;
    const h2 = this.norm2.forward(x) as tf.Tensor3D;
    x = tf.add(x, this.drop2.forward(this.crossAttn.forward(h2, memory, memory, memMask))) as tf.Tensor3D;
    const ff = this.linear2.forward(this.drop.forward(gelu(this.linear1.forward(this.norm3.forward(x)))));
    return tf.add(x, this.drop3.forward(ff)) as tf.Tensor3D;
  }
}

export class TransformerForDiffusion extends Module {
  /** Shared stream of all dropout masks; the policy reseeds it at every training step. */
  readonly rng: Rng;
  private readonly inputEmb: Linear;
  private readonly posEmb: tf.Variable;
  private readonly condObsEmb: Linear;
  private readonly condPosEmb: tf.Variable;
  private readonly timeEmb: SinusoidalPosEmb;
  private readonly drop: Dropout;
  private readonly enc1: Linear;
  private readonly enc2: Linear;
  private readonly layers: DecoderLayer[] = [];
  private readonly lnF: LayerNorm;
  private readonly head: Linear;
  private readonly tgtMask: tf.Tensor2D | undefined;
  private readonly memMask: tf.Tensor2D | undefined;

  constructor(
    readonly cfg: TransformerConfig,
    init: Init,
    dropoutSeed = 0,
  ) {
    super();
    const { inputDim, horizon: T, nObsSteps: To, condDim, nLayer, nHead, nEmb: E, pDropEmb, pDropAttn } = cfg;
    if (E % nHead !== 0) throw new Error(`TransformerForDiffusion: nEmb (${E}) must be divisible by nHead (${nHead})`);
    this.rng = new Rng(dropoutSeed);
    const Tc = 1 + To;
    this.inputEmb = this.child('input_emb', new Linear(inputDim, E, init, { init: { std: STD } }));
    this.posEmb = this.param('pos_emb', init.normal([1, T, E], STD));
    this.drop = this.child('drop', new Dropout(pDropEmb, this.rng));
    this.timeEmb = this.child('time_emb', new SinusoidalPosEmb(E));
    this.condObsEmb = this.child('cond_obs_emb', new Linear(condDim, E, init, { init: { std: STD } }));
    this.condPosEmb = this.param('cond_pos_emb', init.normal([1, Tc, E], STD));
    const encoder = this.child('encoder', new ModuleList());
    this.enc1 = encoder.add('0', new Linear(E, 4 * E, init, { init: { std: STD } }));
    this.enc2 = encoder.add('2', new Linear(4 * E, E, init, { init: { std: STD } }));
    const decoder = this.child('decoder', new ModuleList()).add('layers', new ModuleList());
    for (let i = 0; i < nLayer; i++) this.layers.push(decoder.add(String(i), new DecoderLayer(E, nHead, pDropAttn, init, this.rng)));
    this.lnF = this.child('ln_f', new LayerNorm(E));
    this.head = this.child('head', new Linear(E, inputDim, init, { init: { std: STD } }));
    this.tgtMask = cfg.causalAttn ? attentionMask(T, T, (q, k) => k <= q) : undefined;
    this.memMask = cfg.causalAttn ? attentionMask(T, Tc, (q, s) => q >= s - 1) : undefined;
  }

  /** AdamW groups as the original's `get_optim_groups`: decay Linear and attention weights only. */
  isDecayed(name: string): boolean {
    if (name.endsWith('bias') || name === 'pos_emb' || name === 'cond_pos_emb') return false;
    return !/(^|\.)(norm\d|ln_f)\.weight$/.test(name);
  }

  /** εθ: sample [B, T, Da], k [B], obs [B, To, Do] → [B, T, Da]. */
  forward(sample: tf.Tensor3D, k: tf.Tensor1D, obs: tf.Tensor3D): tf.Tensor3D {
    const { horizon: T, nObsSteps: To, condDim } = this.cfg;
    if (sample.shape[1] !== T) throw new Error(`TransformerForDiffusion: the sample must have horizon ${T}, got ${sample.shape[1]}`);
    if (obs.shape[1] !== To || obs.shape[2] !== condDim) throw new Error(`TransformerForDiffusion: obs must be [B, ${To}, ${condDim}], got [${obs.shape.join(', ')}]`);
    const B = sample.shape[0];
    const time = tf.reshape(this.timeEmb.forward(k), [B, 1, this.cfg.nEmb]);
    const cond = tf.concat([time, this.condObsEmb.forward(obs)], 1);
    let memory = this.drop.forward(tf.add(cond, this.condPosEmb)) as tf.Tensor3D;
    memory = this.enc2.forward(mish(this.enc1.forward(memory))) as tf.Tensor3D;
    let x = this.drop.forward(tf.add(this.inputEmb.forward(sample), this.posEmb)) as tf.Tensor3D;
    for (const layer of this.layers) x = layer.forward(x, memory, this.tgtMask, this.memMask);
    return this.head.forward(this.lnF.forward(x)) as tf.Tensor3D;
  }

  override dispose(): void {
    this.tgtMask?.dispose();
    this.memMask?.dispose();
    super.dispose();
  }
}
