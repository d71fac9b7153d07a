/**
 * Crop augmentation as Diffusion Policy's CropRandomizer (diffusion_policy/model/vision/crop_randomizer.py,
 * after robomimic's): a random crop per image in training, the centre crop at evaluation
 * (`eval_fixed_crop: True`), and the image range normalizer ([0, 1] → [−1, 1], normalize_util.py
 * get_image_range_normalizer) applied to uint8 pixels: v/255·2 − 1.
 */
import type { Rng } from '../nn/init.ts';

/** [height, width, channels] of one image. */
export type ImageShape = readonly [number, number, number];

/**
 * Top-left corners (top, left per image) of random crops, as sample_random_image_crops draws them:
 * ⌊(H − h)·u⌋ with u ~ U[0, 1), so offsets lie in [0, H − h − 1] (the last position is never drawn, as in
 * the original). All tops are drawn before all lefts, as the original's two torch.rand calls.
 */
export function randomCropOffsets(n: number, image: ImageShape, crop: readonly [number, number], rng: Rng): Int32Array {
  checkCrop(image, crop);
  const out = new Int32Array(2 * n);
  for (let a = 0; a < 2; a++) {
    const room = image[a] - crop[a];
    for (let i = 0; i < n; i++) out[2 * i + a] = Math.floor(room * rng.float());
  }
  return out;
}

/** torchvision's center_crop: top = round((H − h)/2) with Python's round (halves to even), likewise left. */
export function centerCropOffsets(n: number, image: ImageShape, crop: readonly [number, number]): Int32Array {
  checkCrop(image, crop);
  const [top, left] = [0, 1].map((a) => roundHalfEven((image[a] - crop[a]) / 2));
  const out = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) out.set([top, left], 2 * i);
  return out;
}

/**
 * Crops n images (n × H × W × C uint8, row-major) at `offsets` to h × w and maps [0, 255] → [−1, 1]:
 * an n × h × w × C Float32Array.
 */
export function cropAndNormalize(src: Uint8Array, n: number, image: ImageShape, crop: readonly [number, number], offsets: Int32Array): Float32Array {
  const [H, W, C] = image;
  const [h, w] = crop;
  checkCrop(image, crop);
  if (src.length !== n * H * W * C) throw new Error(`cropAndNormalize: expected ${n} images of ${H}×${W}×${C} (${n * H * W * C} bytes), got ${src.length}`);
  if (offsets.length !== 2 * n) throw new Error(`cropAndNormalize: expected ${2 * n} offsets (top, left per image), got ${offsets.length}`);
  const out = new Float32Array(n * h * w * C);
  const row = w * C;
  for (let i = 0; i < n; i++) {
    const top = offsets[2 * i];
    const left = offsets[2 * i + 1];
    if (top < 0 || left < 0 || top + h > H || left + w > W) throw new Error(`cropAndNormalize: crop ${h}×${w} at (${top}, ${left}) leaves the ${H}×${W} image`);
    for (let y = 0; y < h; y++) {
      const s = ((i * H + top + y) * W + left) * C;
      const o = (i * h + y) * row;
      for (let k = 0; k < row; k++) out[o + k] = src[s + k] * (2 / 255) - 1;
    }
  }
  return out;
}

function checkCrop(image: ImageShape, crop: readonly [number, number]): void {
  if (!(crop[0] >= 1 && crop[1] >= 1 && crop[0] <= image[0] && crop[1] <= image[1])) {
    throw new Error(`crop ${crop[0]}×${crop[1]} must fit the ${image[0]}×${image[1]} image`);
  }
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
