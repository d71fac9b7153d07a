import { describe, expect, it } from 'vitest';
import { Rng } from '../../../policies/nn/init.ts';
import { centerCropOffsets, cropAndNormalize, randomCropOffsets } from '../../../policies/vision/crop.ts';

describe('crop augmentation', () => {
  it('draws random 84×84 crops of 96×96 at offsets 0…11 (⌊12·u⌋, as robomimic), all of them, deterministic per seed', () => {
    const n = 4000;
    const a = randomCropOffsets(n, [96, 96, 3], [84, 84], new Rng(7));
    expect(Array.from(randomCropOffsets(n, [96, 96, 3], [84, 84], new Rng(7)))).toEqual(Array.from(a));
    expect(Array.from(randomCropOffsets(n, [96, 96, 3], [84, 84], new Rng(8)))).not.toEqual(Array.from(a));
    for (const axis of [0, 1]) {
      const seen = new Set(Array.from({ length: n }, (_, i) => a[2 * i + axis]));
      expect([...seen].sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    }
    // Tops and lefts are independent draws.
    let same = 0;
    for (let i = 0; i < n; i++) same += a[2 * i] === a[2 * i + 1] ? 1 : 0;
    expect(same / n).toBeLessThan(0.2);
  });

  it('centres like torchvision (round((96 − 84)/2) = 6; a half rounds to even: round(6.5) = 6, round(7.5) = 8)', () => {
    expect(Array.from(centerCropOffsets(2, [96, 96, 3], [84, 84]))).toEqual([6, 6, 6, 6]);
    expect(Array.from(centerCropOffsets(1, [97, 99, 3], [84, 84]))).toEqual([6, 8]);
    expect(Array.from(centerCropOffsets(1, [8, 8, 3], [8, 8]))).toEqual([0, 0]);
  });

  it('crops pixel (top + y, left + x) to (y, x) and maps 0 → −1, 255 → 1 (the image range normalizer)', () => {
    const [H, W, C] = [5, 6, 3];
    const src = Uint8Array.from({ length: 2 * H * W * C }, (_, i) => i % 256);
    const offsets = Int32Array.from([1, 2, 0, 3]);
    const out = cropAndNormalize(src, 2, [H, W, C], [3, 3], offsets);
    expect(out.length).toBe(2 * 3 * 3 * C);
    for (let i = 0; i < 2; i++)
      for (let y = 0; y < 3; y++)
        for (let x = 0; x < 3; x++)
          for (let c = 0; c < C; c++) {
            const v = src[((i * H + offsets[2 * i] + y) * W + offsets[2 * i + 1] + x) * C + c];
            expect(out[((i * 3 + y) * 3 + x) * C + c]).toBeCloseTo((v / 255) * 2 - 1, 6);
          }
    const ends = cropAndNormalize(Uint8Array.from([0, 255, 0, 255]), 1, [1, 1, 4], [1, 1], Int32Array.from([0, 0]));
    expect(Array.from(ends)).toEqual([-1, 1, -1, 1]);
  });

  it('names wrong inputs', () => {
    expect(() => randomCropOffsets(1, [80, 96, 3], [84, 84], new Rng(0))).toThrow('crop 84×84 must fit the 80×96 image');
    expect(() => cropAndNormalize(new Uint8Array(10), 1, [2, 2, 3], [1, 1], Int32Array.from([0, 0]))).toThrow('cropAndNormalize: expected 1 images of 2×2×3 (12 bytes), got 10');
    expect(() => cropAndNormalize(new Uint8Array(12), 1, [2, 2, 3], [1, 1], Int32Array.from([2, 0]))).toThrow('crop 1×1 at (2, 0) leaves the 2×2 image');
  });
});
