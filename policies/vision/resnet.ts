/**
 * robomimic's ResNet18Conv as Diffusion Policy trains it (facts §3.4): torchvision's resnet18 without its
 * average pool and fc, no pretrained weights, every BatchNorm2d replaced by GroupNorm(C/16, C)
 * (`obs_encoder_group_norm: True`; BatchNorm breaks with EMA weights [P §3.2]). On channels-last images:
 *
 *   conv 7×7 s2 p3 (3 → w) → GN → ReLU → max-pool 3×3 s2 p1
 *   layer1..4: 2 BasicBlocks each, widths w, 2w, 4w, 8w (w = 64), the first block of layers 2–4 with stride 2
 *   and a 1×1 s2 conv + GN shortcut
 *   BasicBlock: conv 3×3 → GN → ReLU → conv 3×3 → GN, + shortcut, → ReLU
 *
 * An 84×84 crop becomes a 3×3 map of 8w channels (84 → 42 → 21 → 21 → 11 → 6 → 3). Parameter names follow
 * robomimic (`nets.0` conv1, `nets.1` bn1, `nets.4`…`nets.7` layer1…4, as the indices of its
 * nn.Sequential over resnet18's children), with torchvision's names inside the blocks. Init as torchvision:
 * convolutions N(0, √(2/(out·k²))) (kaiming normal, fan_out, ReLU), no bias; GroupNorm (1, 0).
 */
import * as tf from '../nn/tf.ts';
import { Module, ModuleList, type Init } from '../nn/module.ts';
import { Conv2d, maxPool2d } from '../nn/conv2d.ts';
import { GroupNorm } from '../nn/norm.ts';

/** The original's GroupNorm for a C-channel BatchNorm: C/16 groups of 16 channels. */
const CHANNELS_PER_GROUP = 16;

function groupNorm(C: number): GroupNorm {
  return new GroupNorm(C / CHANNELS_PER_GROUP, C);
}

function conv(inC: number, outC: number, k: number, stride: number, init: Init, inputGrad = true): Conv2d {
  return new Conv2d(inC, outC, k, init, { stride, padding: k >> 1, bias: false, init: { std: Math.sqrt(2 / (outC * k * k)) }, inputGrad });
}

/** torchvision's BasicBlock (expansion 1) with GroupNorm. */
class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: GroupNorm;
  readonly conv2: Conv2d;
  readonly bn2: GroupNorm;
  readonly shortcut: [Conv2d, GroupNorm] | null = null;
  constructor(inC: number, outC: number, stride: number, init: Init) {
    super();
    this.conv1 = this.child('conv1', conv(inC, outC, 3, stride, init));
    this.bn1 = this.child('bn1', groupNorm(outC));
    this.conv2 = this.child('conv2', conv(outC, outC, 3, 1, init));
    this.bn2 = this.child('bn2', groupNorm(outC));
    if (stride !== 1 || inC !== outC) {
      const ds = this.child('downsample', new ModuleList());
      this.shortcut = [ds.add('0', conv(inC, outC, 1, stride, init)), ds.add('1', groupNorm(outC))];
    }
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const h = this.bn2.forward(this.conv2.forward(tf.relu(this.bn1.forward(this.conv1.forward(x)))));
    const s = this.shortcut ? this.shortcut[1].forward(this.shortcut[0].forward(x)) : x;
    return tf.relu(tf.add(h, s)) as tf.Tensor4D;
  }
}

export class ResNet18Conv extends Module {
  readonly width: number;
  private readonly conv1: Conv2d;
  private readonly bn1: GroupNorm;
  private readonly blocks: BasicBlock[] = [];

  /** `width`: channels of the stem and layer1 (64 in the original; a multiple of 16 for the GroupNorms). */
  constructor(
    readonly inChannels: number,
    init: Init,
    width = 64,
  ) {
    super();
    if (!Number.isInteger(width) || width < CHANNELS_PER_GROUP || width % CHANNELS_PER_GROUP !== 0) {
      throw new Error(`ResNet18Conv: width must be a positive multiple of ${CHANNELS_PER_GROUP} (GroupNorm(C/16, C)), got ${width}`);
    }
    this.width = width;
    const nets = this.child('nets', new ModuleList());
    // The stem's input is the image: no input gradient needed.
    this.conv1 = nets.add('0', conv(inChannels, width, 7, 2, init, false));
    this.bn1 = nets.add('1', groupNorm(width));
    let inC = width;
    for (let l = 0; l < 4; l++) {
      const outC = width << l;
      const layer = nets.add(String(4 + l), new ModuleList());
      this.blocks.push(layer.add('0', new BasicBlock(inC, outC, l === 0 ? 1 : 2, init)), layer.add('1', new BasicBlock(outC, outC, 1, init)));
      inC = outC;
    }
  }

  get outChannels(): number {
    return this.width * 8;
  }

  /** Output height (or width) of the feature map for an input of height H. */
  outSize(H: number): number {
    const half = (h: number, k: number) => Math.floor((h + 2 * (k >> 1) - k) / 2) + 1;
    let h = half(half(H, 7), 3); // stem conv, max-pool
    for (let l = 1; l < 4; l++) h = half(h, 3);
    return h;
  }

  /** x [N, H, W, C] → [N, H', W', 8·width]. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    let h = maxPool2d(tf.relu(this.bn1.forward(this.conv1.forward(x))) as tf.Tensor4D, 3, 2, 1);
    for (const b of this.blocks) h = b.forward(h);
    return h;
  }
}
