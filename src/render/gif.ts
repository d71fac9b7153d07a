/**
 * Animated GIFs of rendered frames, encoded by gifenc in a worker thread (src/render/gif-worker.js) so a
 * rollout keeps stepping while its videos are written. Lossless for scenes of ≤ 256 colours.
 */
import { Worker } from 'node:worker_threads';
import type { ImageSize } from './renderer.ts';

interface Pending {
  resolve: (gif: Uint8Array) => void;
  reject: (e: Error) => void;
}

export class GifWriter {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  /** GIF bytes of `frames` (each H × W × 3 RGB) at `fps` (GIF delays are whole centiseconds). */
  encode(frames: readonly Uint8Array[], size: ImageSize, fps: number): Promise<Uint8Array> {
    const frameBytes = size.width * size.height * 3;
    if (frames.length === 0) return Promise.reject(new Error('GifWriter.encode: no frames'));
    if (size.width > 65535 || size.height > 65535) return Promise.reject(new Error(`GifWriter.encode: GIF sides are at most 65535 px, got ${size.width}×${size.height}`));
    if (!(fps > 0)) return Promise.reject(new Error(`GifWriter.encode: fps must be > 0, got ${fps}`));
    const all = new Uint8Array(frames.length * frameBytes);
    for (let i = 0; i < frames.length; i++) {
      if (frames[i].length !== frameBytes) return Promise.reject(new Error(`GifWriter.encode: frame ${i} has ${frames[i].length} bytes, expected ${size.width}×${size.height}×3 = ${frameBytes}`));
      all.set(frames[i], i * frameBytes);
    }
    const id = ++this.nextId;
    const worker = this.start();
    worker.ref(); // keep the process alive while a GIF is being written
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, width: size.width, height: size.height, count: frames.length, delayMs: 1000 / fps, frames: all.buffer }, [all.buffer]);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    for (const p of this.pending.values()) p.reject(new Error('GifWriter closed before the GIF was written'));
    this.pending.clear();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./gif-worker.js', import.meta.url));
    w.on('message', (m: { id: number; gif?: ArrayBuffer; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref(); // an idle encoder never keeps the process alive
      if (m.gif) p.resolve(new Uint8Array(m.gif));
      else p.reject(new Error(`GIF encoding failed: ${m.error}`));
    });
    w.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(new Error(`GIF worker crashed: ${e.message}`));
      this.pending.clear();
      this.worker = null;
    });
    this.worker = w;
    return w;
  }
}
