import { describe, expect, it } from 'vitest';
import { unpackRuns } from '../../src/render/runs.ts';

describe('unpackRuns (PackBits over RGB pixels, the page → Node pixel transfer)', () => {
  it('expands runs (header h < 128: h + 1 copies) and literals (h ≥ 128: h − 127 pixels), short and long', () => {
    // Hand-made stream: 3 × red, 2 literal pixels, 128 × white (the longest run), 1 × blue.
    const src = Uint8Array.from([2, 255, 0, 0, 129, 1, 2, 3, 4, 5, 6, 127, 255, 255, 255, 0, 0, 0, 255]);
    const out = new Uint8Array(3 * (3 + 2 + 128 + 1));
    unpackRuns(src, out);
    const px = (i: number) => Array.from(out.subarray(3 * i, 3 * i + 3));
    expect([px(0), px(2)]).toEqual([[255, 0, 0], [255, 0, 0]]);
    expect([px(3), px(4)]).toEqual([[1, 2, 3], [4, 5, 6]]);
    for (let i = 5; i < 133; i++) expect(px(i)).toEqual([255, 255, 255]);
    expect(px(133)).toEqual([0, 0, 255]);
  });

  it('refuses streams that do not fill the image exactly', () => {
    expect(() => unpackRuns(Uint8Array.from([1, 9, 9, 9]), new Uint8Array(9))).toThrow('corrupt pixel runs (4 bytes decoded to 6 bytes, expected 9)');
    expect(() => unpackRuns(Uint8Array.from([5, 9, 9, 9]), new Uint8Array(9))).toThrow(/corrupt pixel runs/);
    expect(() => unpackRuns(Uint8Array.from([130, 1, 2, 3]), new Uint8Array(9))).toThrow(/corrupt pixel runs/);
  });
});
