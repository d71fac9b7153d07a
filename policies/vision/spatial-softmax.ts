/**
 * robomimic's SpatialSoftmax (models/base_nets.py) as Diffusion Policy configures it (facts §3.4:
 * num_kp 32, temperature 1.0 fixed, noise_std 0): a 1×1 conv to K keypoint maps, a softmax over each map's
 * pixels, and each map's expected pixel position (x along the width, y along the height, both on
 * linspace(−1, 1)), flattened as [x0, y0, x1, y1, …] → 2K features.
 */
import * as tf from '../nn/tf.ts';
import { Module, type Init } from '../nn/module.ts';
import { Conv2d } from '../nn/conv2d.ts';
import { matmul2d } from '../nn/ops.ts';

export class SpatialSoftmax extends Module {
  readonly keypoints: Conv2d;
  /** [H·W, 2]: row h·W + w holds (pos_x[w], pos_y[h]), numpy's meshgrid(linspace(−1, 1, W), linspace(−1, 1, H)). */
  private readonly grid: Float32Array;

  constructor(
    readonly inChannels: number,
    readonly height: number,
    readonly width: number,
    init: Init,
    readonly numKeypoints = 32,
    readonly temperature = 1,
  ) {
    super();
    if (!(temperature > 0)) throw new Error(`SpatialSoftmax: temperature must be > 0, got ${temperature}`);
    // robomimic's `self.nets = torch.nn.Conv2d(in_c, num_kp, kernel_size=1)`, torch's default init.
    this.keypoints = this.child('nets', new Conv2d(inChannels, numKeypoints, 1, init));
    const lin = (n: number, i: number) => (n === 1 ? -1 : -1 + (2 * i) / (n - 1));
    this.grid = new Float32Array(height * width * 2);
    for (let h = 0; h < height; h++)
      for (let w = 0; w < width; w++) {
        this.grid[2 * (h * width + w)] = lin(width, w);
        this.grid[2 * (h * width + w) + 1] = lin(height, h);
      }
  }

  get outFeatures(): number {
    return 2 * this.numKeypoints;
  }

  /** x [N, H, W, C] → [N, 2K]. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    const [N, H, W] = x.shape;
    if (H !== this.height || W !== this.width) throw new Error(`SpatialSoftmax(${this.height}×${this.width}): input must be [N, ${this.height}, ${this.width}, C], got [${x.shape.join(', ')}]`);
    const K = this.numKeypoints;
    const maps = tf.transpose(tf.reshape(this.keypoints.forward(x), [N, H * W, K]), [0, 2, 1]); // [N, K, H·W]
    const logits = this.temperature === 1 ? maps : tf.div(maps, this.temperature);
    const attention = tf.reshape(tf.softmax(logits, -1), [N * K, H * W]) as tf.Tensor2D;
    return tf.reshape(matmul2d(attention, tf.tensor2d(this.grid, [H * W, 2])), [N, 2 * K]) as tf.Tensor2D;
  }
}
