/**
 * ConditionalUnet1D, the denoiser of Diffusion Policy's CNN variant (DP-C; diffusion_policy
 * model/diffusion/conditional_unet1d.py, conv1d_components.py), with the original's module structure and
 * parameter names, so parameter counts equal the original's:
 *
 *   step k → SinusoidalPosEmb(dsed) → Linear(dsed, 4·dsed) → Mish → Linear(4·dsed, dsed)
 *   cond = step embedding ‖ flattened To observations (global conditioning)
 *   down:  per level [ResBlock(in, out), ResBlock(out, out), Conv1d k3 s2 (not at the last level)]
 *   mid:   2 × ResBlock(d_last, d_last)
 *   up:    per level [ResBlock(2·out, in) on concat(x, skip), ResBlock(in, in), ConvTranspose1d k4 s2]
 *   final: Conv1dBlock(d0, d0, k) → Conv1d(d0, Da, 1)
 *
 * ResBlock = Conv1dBlock → FiLM (Mish → Linear(cond, 2·out): per-channel scale and bias) → Conv1dBlock,
 * plus a 1×1 conv residual when the width changes; Conv1dBlock = Conv1d(k, pad k/2) → GroupNorm → Mish.
 * Tensors are channels-last [B, T, C] (the original is channels-first; the maths is the same).
 */
import * as tf from '../nn/tf.ts';
import { Module, ModuleList, type Init } from '../nn/module.ts';
import { Conv1d, ConvTranspose1d } from '../nn/conv1d.ts';
import { GroupNorm } from '../nn/norm.ts';
import { Linear } from '../nn/linear.ts';
import { SinusoidalPosEmb } from '../nn/embedding.ts';
import { mish } from '../nn/ops.ts';
import { groupNormMish } from '../nn/fused.ts';

export interface Unet1dConfig {
  /** Action dimension Da (input and output channels). */
  inputDim: number;
  /** Global condition size: obs dim × To. */
  globalCondDim: number;
  /** Diffusion step embedding size (the paper: 256 state, 128 image). */
  diffusionStepEmbedDim: number;
  /** Channel widths per level (the paper: [256, 512, 1024]). */
  downDims: number[];
  kernelSize: number;
  nGroups: number;
  /** FiLM with scale and bias (true in every published config) or bias only. */
  condPredictScale: boolean;
}

class Conv1dBlock extends Module {
  readonly conv: Conv1d;
  readonly norm: GroupNorm;
  constructor(inC: number, outC: number, k: number, groups: number, init: Init) {
    super();
    // The original's nn.Sequential: block.0 (Conv1d), block.1 (GroupNorm), block.2 (Mish).
    const block = this.child('block', new ModuleList());
    this.conv = block.add('0', new Conv1d(inC, outC, k, init, { padding: k >> 1 }));
    this.norm = block.add('1', new GroupNorm(groups, outC));
  }
  /** Conv → GroupNorm → Mish, then FiLM by `film` ([B, 2C] scale and bias, or [B, C] bias) when given. */
  forward(x: tf.Tensor3D, film: tf.Tensor2D | null = null, predictScale = true): tf.Tensor3D {
    const n = this.norm;
    return groupNormMish(this.conv.forward(x), n.weight as tf.Tensor1D, n.bias as tf.Tensor1D, film, { groups: n.groups, eps: n.eps, film: film ? (predictScale ? 'scale' : 'bias') : undefined }) as tf.Tensor3D;
  }
}

class ConditionalResidualBlock1D extends Module {
  private readonly blocks: Conv1dBlock[];
  private readonly condLinear: Linear;
  private readonly residual: Conv1d | null;
  constructor(
    inC: number,
    readonly outC: number,
    condDim: number,
    k: number,
    groups: number,
    readonly predictScale: boolean,
    init: Init,
  ) {
    super();
    const blocks = this.child('blocks', new ModuleList());
    this.blocks = [blocks.add('0', new Conv1dBlock(inC, outC, k, groups, init)), blocks.add('1', new Conv1dBlock(outC, outC, k, groups, init))];
    // cond_encoder = Sequential(Mish, Linear(cond_dim, cond_channels), Rearrange): the Linear is index 1.
    const enc = this.child('cond_encoder', new ModuleList());
    this.condLinear = enc.add('1', new Linear(condDim, predictScale ? 2 * outC : outC, init));
    this.residual = inC !== outC ? this.child('residual_conv', new Conv1d(inC, outC, 1, init, { padding: 0 })) : null;
  }
  forward(x: tf.Tensor3D, cond: tf.Tensor2D): tf.Tensor3D {
    const e = this.condLinear.forward(mish(cond)) as tf.Tensor2D; // [B, 2·out] (scale ‖ bias) or [B, out]
    let h = this.blocks[0].forward(x, e, this.predictScale);
    h = this.blocks[1].forward(h);
    return tf.add(h, this.residual ? this.residual.forward(x) : x) as tf.Tensor3D;
  }
}

interface Level {
  res1: ConditionalResidualBlock1D;
  res2: ConditionalResidualBlock1D;
  resample: Conv1d | ConvTranspose1d | null;
}

export class ConditionalUnet1D extends Module {
  private readonly stepEmb: SinusoidalPosEmb;
  private readonly stepLin1: Linear;
  private readonly stepLin2: Linear;
  private readonly down: Level[] = [];
  private readonly mid: ConditionalResidualBlock1D[] = [];
  private readonly up: Level[] = [];
  private readonly finalBlock: Conv1dBlock;
  private readonly finalConv: Conv1d;

  constructor(
    readonly cfg: Unet1dConfig,
    init: Init,
  ) {
    super();
    const { inputDim, globalCondDim, diffusionStepEmbedDim: dsed, downDims, kernelSize: k, nGroups: g, condPredictScale: fs } = cfg;
    if (downDims.length < 1 || !downDims.every((d) => Number.isInteger(d) && d > 0 && d % g === 0)) {
      throw new Error(`ConditionalUnet1D: downDims must be positive multiples of nGroups (${g}), got [${downDims.join(', ')}]`);
    }
    const enc = this.child('diffusion_step_encoder', new ModuleList());
    this.stepEmb = enc.add('0', new SinusoidalPosEmb(dsed));
    this.stepLin1 = enc.add('1', new Linear(dsed, 4 * dsed, init));
    this.stepLin2 = enc.add('3', new Linear(4 * dsed, dsed, init));
    const condDim = dsed + globalCondDim;
    const allDims = [inputDim, ...downDims];
    const inOut = allDims.slice(0, -1).map((d, i) => [d, allDims[i + 1]] as const);
    const block = (i: number, o: number) => new ConditionalResidualBlock1D(i, o, condDim, k, g, fs, init);

    const downs = this.child('down_modules', new ModuleList());
    inOut.forEach(([din, dout], i) => {
      const isLast = i >= inOut.length - 1;
      const lvl = downs.add(String(i), new ModuleList());
      this.down.push({
        res1: lvl.add('0', block(din, dout)),
        res2: lvl.add('1', block(dout, dout)),
        resample: isLast ? null : lvl.add('2', new Conv1d(dout, dout, 3, init, { stride: 2, padding: 1 })),
      });
    });
    const midDim = allDims[allDims.length - 1];
    const mids = this.child('mid_modules', new ModuleList());
    this.mid.push(mids.add('0', block(midDim, midDim)), mids.add('1', block(midDim, midDim)));

    const ups = this.child('up_modules', new ModuleList());
    [...inOut.slice(1)].reverse().forEach(([din, dout], i) => {
      const isLast = i >= inOut.length - 1; // never true: every up level upsamples, as in the original
      const lvl = ups.add(String(i), new ModuleList());
      this.up.push({
        res1: lvl.add('0', block(dout * 2, din)),
        res2: lvl.add('1', block(din, din)),
        resample: isLast ? null : lvl.add('2', new ConvTranspose1d(din, din, init, { kernelSize: 4, stride: 2, padding: 1 })),
      });
    });
    const fin = this.child('final_conv', new ModuleList());
    this.finalBlock = fin.add('0', new Conv1dBlock(downDims[0], downDims[0], k, g, init));
    this.finalConv = fin.add('1', new Conv1d(downDims[0], inputDim, 1, init, { padding: 0 }));
  }

  /** The horizon must halve evenly at every downsampling level. */
  checkHorizon(T: number): void {
    const factor = 2 ** (this.cfg.downDims.length - 1);
    if (!Number.isInteger(T) || T < factor || T % factor !== 0) {
      throw new Error(`ConditionalUnet1D: the prediction horizon must be a multiple of ${factor} (2^(levels−1) for down dims [${this.cfg.downDims.join(', ')}]), got ${T}`);
    }
  }

  /** εθ: sample [B, T, Da], k [B] (float diffusion steps), globalCond [B, G] → [B, T, Da]. */
  forward(sample: tf.Tensor3D, k: tf.Tensor1D, globalCond: tf.Tensor2D): tf.Tensor3D {
    this.checkHorizon(sample.shape[1]);
    const tEmb = this.stepLin2.forward(mish(this.stepLin1.forward(this.stepEmb.forward(k)))) as tf.Tensor2D;
    const cond = tf.concat([tEmb, globalCond], 1) as tf.Tensor2D;
    let x = sample;
    const skips: tf.Tensor3D[] = [];
    for (const lvl of this.down) {
      x = lvl.res2.forward(lvl.res1.forward(x, cond), cond);
      skips.push(x);
      if (lvl.resample) x = lvl.resample.forward(x);
    }
    for (const m of this.mid) x = m.forward(x, cond);
    for (const lvl of this.up) {
      x = tf.concat([x, skips.pop()!], 2) as tf.Tensor3D;
      x = lvl.res2.forward(lvl.res1.forward(x, cond), cond);
      if (lvl.resample) x = lvl.resample.forward(x);
    }
    return this.finalConv.forward(this.finalBlock.forward(x));
  }
}
