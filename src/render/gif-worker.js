/**
 * GIF encoding off the main thread (worker_threads; plain JS so it needs no TypeScript loader), so that
 * writing rollout videos never stalls the rollout. Driven by src/render/gif.ts.
 *
 * Message in: { id, width, height, count, delayMs, frames: ArrayBuffer (count × H × W × 3 RGB) }.
 * Reply: { id, gif: ArrayBuffer } or { id, error }.
 *
 * Frames with at most 256 distinct colours (the flat-shaded 2-D scenes) get an exact global palette: the
 * GIF is lossless. Otherwise gifenc's quantizer picks 256 colours from a sample of the frames.
 */
import { parentPort } from 'node:worker_threads';
import { createRequire } from 'node:module';

// gifenc's Node entry is CommonJS, whose named exports Node's ESM loader cannot see.
const { GIFEncoder, quantize, applyPalette } = createRequire(import.meta.url)('gifenc');

function exactPalette(frames, n) {
  const index = new Map();
  const palette = [];
  for (let i = 0; i < n; i++) {
    const key = (frames[3 * i] << 16) | (frames[3 * i + 1] << 8) | frames[3 * i + 2];
    if (!index.has(key)) {
      if (palette.length === 256) return null;
      index.set(key, palette.length);
      palette.push([frames[3 * i], frames[3 * i + 1], frames[3 * i + 2]]);
    }
  }
  return { palette, index };
}

function rgba(frames, start, pixels) {
  const out = new Uint8Array(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    out[4 * i] = frames[3 * (start + i)];
    out[4 * i + 1] = frames[3 * (start + i) + 1];
    out[4 * i + 2] = frames[3 * (start + i) + 2];
    out[4 * i + 3] = 255;
  }
  return out;
}

function encode({ width, height, count, delayMs, frames }) {
  const f = new Uint8Array(frames);
  const px = width * height;
  const gif = GIFEncoder();
  const exact = exactPalette(f, px * count);
  let palette;
  if (exact) {
    palette = exact.palette;
  } else {
    // A sample of up to 16 frames spread over the episode.
    const picks = Array.from({ length: Math.min(16, count) }, (_, k) => Math.floor((k * count) / Math.min(16, count)));
    const sample = new Uint8Array(picks.length * px * 4);
    picks.forEach((k, j) => sample.set(rgba(f, k * px, px), j * px * 4));
    palette = quantize(sample, 256);
  }
  const indexed = new Uint8Array(px);
  for (let k = 0; k < count; k++) {
    let idx;
    if (exact) {
      for (let i = 0; i < px; i++) {
        const p = 3 * (k * px + i);
        indexed[i] = exact.index.get((f[p] << 16) | (f[p + 1] << 8) | f[p + 2]);
      }
      idx = indexed;
    } else {
      idx = applyPalette(rgba(f, k * px, px), palette);
    }
    gif.writeFrame(idx, width, height, k === 0 ? { palette, delay: delayMs, repeat: 0 } : { delay: delayMs });
  }
  gif.finish();
  return gif.bytes();
}

parentPort.on('message', (msg) => {
  try {
    const bytes = encode(msg);
    parentPort.postMessage({ id: msg.id, gif: bytes.buffer }, [bytes.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
