/**
 * Decoder of the page's run-length coding of RGB pixels (`packRuns` in src/render/page/scene-page.js):
 * PackBits over 3-byte pixels. A header byte h < 128 is followed by one pixel repeated h + 1 times;
 * h ≥ 128 by h − 127 literal pixels.
 */
export function unpackRuns(src: Uint8Array, out: Uint8Array): void {
  let i = 0;
  let o = 0;
  const n = src.length;
  while (i < n) {
    const h = src[i++];
    if (h < 128) {
      const r = src[i];
      const g = src[i + 1];
      const b = src[i + 2];
      i += 3;
      const end = o + 3 * (h + 1);
      if (end > out.length) break;
      if (h < 8) {
        while (o < end) {
          out[o++] = r;
          out[o++] = g;
          out[o++] = b;
        }
      } else {
        // Long runs (flat backgrounds): double the filled stretch with native copies.
        out[o] = r;
        out[o + 1] = g;
        out[o + 2] = b;
        for (let filled = 3; o + filled < end; filled *= 2) out.copyWithin(o + filled, o, Math.min(o + filled, end - filled));
        o = end;
      }
    } else {
      const len = 3 * (h - 127);
      if (o + len > out.length || i + len > n) {
        o = -1;
        break;
      }
      out.set(src.subarray(i, i + len), o);
      i += len;
      o += len;
    }
  }
  if (o !== out.length || i !== n) {
    throw new Error(`renderer: corrupt pixel runs (${src.length} bytes decoded to ${o < 0 ? 'an overflow' : `${o} bytes`}, expected ${out.length})`);
  }
}
