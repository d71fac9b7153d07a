/**
 * Diffusion Policy's observation encoder for image + low-dim observations (diffusion_unet_hybrid_image_policy.py:
 * robomimic's ObservationEncoder from the BC-RNN image config, BatchNorm → GroupNorm; facts §3.4):
 *
 *   image (uint8 H×W×3) → crop (random in training, centre at evaluation) → [−1, 1]
 *     → VisualCore: ResNet18Conv → SpatialSoftmax (32 keypoints → 64) → flatten → Linear(64, 64)
 *     → ReLU (the ObservationEncoder's feature_activation)
 *   feature = image feature ‖ normalized agent position          (64 + 2 = 66 per observation step)
 *
 * One VisualCore per camera (Push-T has one, `image`), shared by the To observation steps, trained end to end
 * with the denoiser. Parameter names as the original's state dict below `obs_encoder`:
 * `obs_nets.image.nets.0.*` (ResNet18Conv), `.nets.1.nets.*` (SpatialSoftmax conv), `.nets.3.*` (Linear).
 */
import { z } from 'zod';
import * as tf from '../nn/tf.ts';
import { Module, ModuleList, type Init } from '../nn/module.ts';
import type { Rng } from '../nn/init.ts';
import { Linear } from '../nn/linear.ts';
import { ResNet18Conv } from './resnet.ts';
import { SpatialSoftmax } from './spatial-softmax.ts';
import { centerCropOffsets, cropAndNormalize, randomCropOffsets, type ImageShape } from './crop.ts';

const Size = z.number().int().positive();

export const VisionOptions = z
  .object({
    /** Crop [height, width]: random in training, centred at evaluation (Push-T image config: 84×84 of 96×96); null: no crop. */
    cropShape: z.tuple([Size, Size]).nullable().default([84, 84]),
    /** ResNet-18's stem and layer1 width (the original: 64; stages w, 2w, 4w, 8w); a multiple of 16 for GroupNorm(C/16, C). */
    resnetWidth: Size.multipleOf(16).default(64),
    /** Spatial-softmax keypoints (the original: 32, giving 64 coordinates). */
    numKeypoints: Size.default(32),
    /** Image feature size after VisualCore's Linear (the original: 64). */
    featureDim: Size.default(64),
    /** DP-T only: AdamW weight decay of the encoder (the original's obs_encoder_weight_decay); DP-C decays every parameter alike. */
    weightDecay: z.number().min(0).default(1e-6),
  })
  .strict();
export type VisionOptions = z.output<typeof VisionOptions>;

/** robomimic's VisualCore: backbone, pool, flatten, Linear to the feature size. */
export class VisualCore extends Module {
  readonly backbone: ResNet18Conv;
  readonly pool: SpatialSoftmax;
  readonly linear: Linear;

  constructor(input: ImageShape, o: Pick<VisionOptions, 'resnetWidth' | 'numKeypoints' | 'featureDim'>, init: Init) {
    super();
    const nets = this.child('nets', new ModuleList());
    this.backbone = nets.add('0', new ResNet18Conv(input[2], init, o.resnetWidth));
    const [h, w] = [this.backbone.outSize(input[0]), this.backbone.outSize(input[1])];
    this.pool = nets.add('1', new SpatialSoftmax(this.backbone.outChannels, h, w, init, o.numKeypoints));
    // nets.2 is the parameter-free Flatten.
    this.linear = nets.add('3', new Linear(this.pool.outFeatures, o.featureDim, init));
  }

  /** Normalized images [N, h, w, C] → [N, featureDim]. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return this.linear.forward(this.pool.forward(this.backbone.forward(x))) as tf.Tensor2D;
  }
}

export interface ObsEncoderConfig extends VisionOptions {
  /** One stored image [H, W, C] (Push-T: 96×96×3). */
  imageShape: ImageShape;
  /** Low-dim values per step concatenated after the image feature (agent position: 2). */
  lowDim: number;
}

export class ObsEncoder extends Module {
  readonly core: VisualCore;
  /** Per-step feature size: image feature + low-dim. */
  readonly outFeatures: number;
  private readonly crop: [number, number];

  constructor(readonly cfg: ObsEncoderConfig, init: Init) {
    super();
    const [H, W, C] = cfg.imageShape;
    this.crop = cfg.cropShape ? [cfg.cropShape[0], cfg.cropShape[1]] : [H, W];
    if (this.crop[0] > H || this.crop[1] > W) throw new Error(`ObsEncoder: crop ${this.crop.join('×')} must fit the ${H}×${W} image`);
    const cameras = this.child('obs_nets', new ModuleList());
    this.core = cameras.add('image', new VisualCore([this.crop[0], this.crop[1], C], cfg, init));
    this.outFeatures = cfg.featureDim + cfg.lowDim;
  }

  /**
   * N raw images (N × H × W × C uint8) and their normalized low-dim values [N, lowDim] → [N, outFeatures].
   * `cropRng` given: random crops from it (training); null: centre crops (evaluation).
   */
  forward(images: Uint8Array, lowDim: tf.Tensor2D, cropRng: Rng | null): tf.Tensor2D {
    const N = lowDim.shape[0];
    const shape = this.cfg.imageShape;
    if (lowDim.shape[1] !== this.cfg.lowDim) throw new Error(`ObsEncoder: low-dim input must be [N, ${this.cfg.lowDim}], got [${lowDim.shape.join(', ')}]`);
    const offsets = cropRng ? randomCropOffsets(N, shape, this.crop, cropRng) : centerCropOffsets(N, shape, this.crop);
    const pixels = tf.tensor4d(cropAndNormalize(images, N, shape, this.crop, offsets), [N, this.crop[0], this.crop[1], shape[2]]);
    return tf.concat([tf.relu(this.core.forward(pixels)), lowDim], 1) as tf.Tensor2D;
  }
}
