/** Multi-head attention with torch.nn.MultiheadAttention's parameters (batch_first=True). */
import * as tf from './tf.ts';
import { Module, type Init } from './module.ts';
import { xavierUniformBound, type Rng, type WeightInit } from './init.ts';
import { linearND, softmaxLastAxis } from './ops.ts';
import { Linear, checkSize } from './linear.ts';
import { Dropout } from './dropout.ts';

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights in training (DP-T's p_drop_attn). Needs `rng` when > 0. */
  dropout?: number;
  /** Stream for the dropout masks (share one per model). */
  rng?: Rng;
  /** Biases on the in- and out-projections (torch `bias=True`). */
  bias?: boolean;
  /** 'torch': in_proj xavier_uniform, out_proj U(±1/√E), biases 0 (torch's _reset_parameters); {std}: N(0, std) weights, biases 0 (DP-T). */
  init?: WeightInit;
}

/**
 * y = out_proj(concat_h softmax(q_h·k_hᵀ/√d_h + mask)·v_h), with q, k, v = in-projections of query, key,
 * value and d_h = E/heads.
 *
 * Parameters (torch names): `in_proj_weight` [E, 3E] (torch's [3E, E] transposed; columns q | k | v),
 * `in_proj_bias` [3E], `out_proj.weight` [E, E] (transposed), `out_proj.bias` [E]: 4E² + 4E in all.
 *
 * Speed on wasm: the projections are single 2-D matmuls (fused into one when query = key = value). The
 * per-head products use batched tf.matMul on [B·H, T, d_h]; that is a naive loop on wasm, but measured at
 * B=64, H=4, T=16, d_h=64 the whole attention core (both products + softmax, forward+backward) takes
 * ~32 ms, ~1.5× the fused in-projection's forward, and a broadcast multiply-and-sum instead was 5×
 * slower. Tq, Tk are small here (≤ 16 action tokens, ≤ 1 + To condition tokens).
 */
export class MultiheadAttention extends Module {
  readonly in_proj_weight: tf.Variable;
  readonly in_proj_bias: tf.Variable | null;
  readonly out_proj: Linear;
  readonly dropout: Dropout;
  readonly headDim: number;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    rng: Init,
    opts: MultiheadAttentionOptions = {},
  ) {
    super();
    checkSize('MultiheadAttention', 'embedDim', embedDim);
    checkSize('MultiheadAttention', 'numHeads', numHeads);
    if (embedDim % numHeads !== 0) throw new Error(`MultiheadAttention: embedDim must be divisible by numHeads, got ${embedDim} and ${numHeads}`);
    this.headDim = embedDim / numHeads;
    const p = opts.dropout ?? 0;
    if (p > 0 && !opts.rng) throw new Error(`MultiheadAttention: dropout ${p} needs opts.rng (a seeded Rng for the masks)`);
    const init = opts.init ?? 'torch';
    const bias = opts.bias ?? true;
    const E = embedDim;
    const xb = xavierUniformBound(E, 3 * E);
    this.in_proj_weight = this.param('in_proj_weight', init === 'torch' ? rng.uniform([E, 3 * E], -xb, xb) : rng.normal([E, 3 * E], init.std));
    this.in_proj_bias = bias ? this.param('in_proj_bias', tf.zeros([3 * E])) : null;
    this.out_proj = this.child('out_proj', new Linear(E, E, rng, { bias, init }));
    if (this.out_proj.bias) {
      // torch zeroes out_proj.bias after Linear's default U(±1/√E) init.
      const zeros = tf.zeros([E]);
      this.out_proj.bias.assign(zeros);
      zeros.dispose();
    }
    this.dropout = this.child('dropout', new Dropout(p, opts.rng ?? 0));
  }

  /**
   * query [B, Tq, E], key and value [B, Tk, E] → [B, Tq, E]. Pass the same tensor for self-attention
   * (one fused projection). `mask` [Tq, Tk]: float = added to the scores (0 allowed, −Infinity blocked),
   * or bool with TRUE = MAY ATTEND (as F.scaled_dot_product_attention; the opposite of
   * nn.MultiheadAttention's boolean attn_mask). See `attentionMask`.
   */
  forward(query: tf.Tensor3D, key: tf.Tensor3D, value: tf.Tensor3D, mask?: tf.Tensor): tf.Tensor3D {
    const { embedDim: E, numHeads: H, headDim: dh } = this;
    const name = `MultiheadAttention(${E}, ${H})`;
    if (query.rank !== 3 || query.shape[2] !== E) throw new Error(`${name}: query must be [B, Tq, ${E}], got [${query.shape.join(', ')}]`);
    const [B, Tq] = query.shape;
    for (const [n, t] of [['key', key], ['value', value]] as const) {
      if (t.rank !== 3 || t.shape[0] !== B || t.shape[2] !== E) throw new Error(`${name}: ${n} must be [${B}, Tk, ${E}], got [${t.shape.join(', ')}]`);
    }
    const Tk = key.shape[1];
    if (value.shape[1] !== Tk) throw new Error(`${name}: key and value lengths differ: ${Tk} vs ${value.shape[1]}`);
    if (mask && (mask.rank !== 2 || mask.shape[0] !== Tq || mask.shape[1] !== Tk)) {
      throw new Error(`${name}: mask must be [Tq, Tk] = [${Tq}, ${Tk}], got [${mask.shape.join(', ')}]`);
    }

    const [q, k, v] = this.project(query, key, value);
    // Heads onto the batch axis: [B, T, H, dh] → [B·H, T, dh]; kᵀ directly as [B·H, dh, Tk].
    const qh = tf.reshape(tf.transpose(tf.reshape(tf.mul(q, 1 / Math.sqrt(dh)), [B, Tq, H, dh]), [0, 2, 1, 3]), [B * H, Tq, dh]);
    const khT = tf.reshape(tf.transpose(tf.reshape(k, [B, Tk, H, dh]), [0, 2, 3, 1]), [B * H, dh, Tk]);
    const vh = tf.reshape(tf.transpose(tf.reshape(v, [B, Tk, H, dh]), [0, 2, 1, 3]), [B * H, Tk, dh]);
    const bias = mask === undefined ? undefined : mask.dtype === 'bool' ? tf.where(mask, tf.zeros(mask.shape), tf.fill(mask.shape, -Infinity)) : mask;
    const attn = this.dropout.forward(softmaxLastAxis(tf.matMul(qh, khT), bias));
    const o = tf.matMul(attn as tf.Tensor3D, vh); // [B·H, Tq, dh]
    const merged = tf.reshape(tf.transpose(tf.reshape(o, [B, H, Tq, dh]), [0, 2, 1, 3]), [B, Tq, E]);
    return this.out_proj.forward(merged) as tf.Tensor3D;
  }

  private project(query: tf.Tensor, key: tf.Tensor, value: tf.Tensor): tf.Tensor[] {
    const E = this.embedDim;
    const w = this.in_proj_weight as tf.Tensor2D;
    const b = this.in_proj_bias as tf.Tensor1D | null;
    const wCols = (from: number, n: number) => tf.slice(w, [0, from * E], [E, n * E]) as tf.Tensor2D;
    const bCols = (from: number, n: number) => (b ? (tf.slice(b, [from * E], [n * E]) as tf.Tensor1D) : undefined);
    if (query === key && key === value) return tf.split(linearND(query, w, b ?? undefined), 3, -1);
    const q = linearND(query, wCols(0, 1), bCols(0, 1));
    if (key === value) return [q, ...tf.split(linearND(key, wCols(1, 2), bCols(1, 2)), 2, -1)];
    return [q, linearND(key, wCols(1, 1), bCols(1, 1)), linearND(value, wCols(2, 1), bCols(2, 1))];
  }
}

/**
 * An additive mask [Tq, Tk]: 0 where `allowed(q, k)`, −Infinity elsewhere. DP-T's causal self-attention
 * is `attentionMask(T, T, (q, k) => k <= q)`, its memory mask `attentionMask(T, S, (q, s) => q >= s - 1)`.
 */
export function attentionMask(Tq: number, Tk: number, allowed: (q: number, k: number) => boolean): tf.Tensor2D {
  const m = new Float32Array(Tq * Tk);
  for (let q = 0; q < Tq; q++) for (let k = 0; k < Tk; k++) m[q * Tk + k] = allowed(q, k) ? 0 : -Infinity;
  return tf.tensor2d(m, [Tq, Tk]);
}
