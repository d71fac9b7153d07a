import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Renderer } from '../../src/render/renderer.ts';
import { GifWriter } from '../../src/render/gif.ts';
import { PUSHT_SCENE } from '../../envs/push-t/scene.ts';
import { evaluate } from '../../src/eval/evaluate.ts';
import { RandomPolicy } from '../../policies/baselines/random.ts';
import { makeEnv } from '../../envs/index.ts';
import { decodeGif } from './gif-decode.ts';
import { pushtFrame } from './helpers.ts';

let r: Renderer;
let tmp: string;
beforeAll(async () => {
  r = await Renderer.launch();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'dpbench-video-'));
});
afterAll(async () => {
  await r?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Boxes of an ISO-BMFF file: type → payload offsets (depth-first through the container boxes). */
function boxes(b: Uint8Array, start = 0, end = b.length, out = new Map<string, number[]>()): Map<string, number[]> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let p = start; p + 8 <= end; ) {
    const size = dv.getUint32(p);
    const type = String.fromCharCode(...b.subarray(p + 4, p + 8));
    if (size < 8) break;
    (out.get(type) ?? out.set(type, []).get(type)!).push(p + 8);
    if (['moov', 'trak', 'mdia', 'minf', 'stbl'].includes(type)) boxes(b, p + 8, p + size, out);
    if (type === 'stsd') boxes(b, p + 16, p + size, out); // version/flags + entry count, then sample entries
    p += size;
  }
  return out;
}

const walk = (n: number) => Array.from({ length: n }, (_, t) => pushtFrame([60 + 12 * t, 400 - 8 * t], [300, 200, 0.1 * t]));

describe('rollout videos', () => {
  it('GIF: lossless for the flat-shaded scene (exact palette), 10 fps delays, looping', async () => {
    const frames = await r.render(PUSHT_SCENE, walk(12), { width: 96, height: 96 });
    const gif = new GifWriter();
    try {
      const bytes = await gif.encode(frames, { width: 96, height: 96 }, 10);
      const d = decodeGif(bytes);
      expect([d.width, d.height, d.frames.length, d.loops]).toEqual([96, 96, 12, true]);
      expect(d.delaysCs.every((c) => c === 10)).toBe(true);
      d.frames.forEach((f, i) => expect(Buffer.from(f).equals(Buffer.from(frames[i]))).toBe(true));
      // More than 256 colours: quantized, close to the source.
      const grad = Array.from({ length: 3 }, (_, k) => {
        const img = new Uint8Array(64 * 64 * 3);
        for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) img.set([4 * x, 4 * y, (40 * k + x + y) & 255], 3 * (64 * y + x));
        return img;
      });
      const q = decodeGif(await gif.encode(grad, { width: 64, height: 64 }, 25));
      expect(q.delaysCs).toEqual([4, 4, 4]);
      const mad = grad.reduce((acc, g, k) => acc + g.reduce((a, v, i) => a + Math.abs(v - q.frames[k][i]), 0) / g.length, 0) / 3;
      expect(mad).toBeLessThan(8);
    } finally {
      await gif.close();
    }
  });

  it('MP4 via WebCodecs: one sample per frame at the given rate, decodable back to the frames', async () => {
    const frames = await r.render(PUSHT_SCENE, walk(20), { width: 96, height: 96 });
    const mp4 = await r.encodeMp4(frames, { width: 96, height: 96 }, 10);
    expect(mp4).not.toBeNull();
    const b = mp4!.bytes;
    const box = boxes(b);
    expect(String.fromCharCode(...b.subarray(4, 8))).toBe('ftyp');
    const entry = { avc: 'avc1', vp9: 'vp09', av1: 'av01' }[mp4!.codec as 'avc' | 'vp9' | 'av1'];
    expect(box.has(entry)).toBe(true);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const stsz = box.get('stsz')![0];
    expect(dv.getUint32(stsz + 8)).toBe(20); // version/flags, sample_size, sample_count
    const mdhd = box.get('mdhd')![0];
    const v1 = b[mdhd] === 1;
    const timescale = dv.getUint32(mdhd + (v1 ? 20 : 12));
    const duration = v1 ? Number(dv.getBigUint64(mdhd + 24)) : dv.getUint32(mdhd + 16);
    expect(duration / timescale).toBeCloseTo(2, 3);
    // Decode it in the page (mediabunny + WebCodecs) and compare with the source frames: lossy, but close.
    const page = r.page!;
    // (Code as a string: the test runner rewrites dynamic imports inside functions.)
    const decoded = (await page.evaluate(`(async (b64) => {
      const mb = await import('mediabunny');
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const input = new mb.Input({ source: new mb.BufferSource(bytes), formats: mb.ALL_FORMATS });
      const track = await input.getPrimaryVideoTrack();
      const sink = new mb.VideoSampleSink(track);
      const out = [];
      for await (const s of sink.samples()) {
        const rgba = new Uint8Array(s.allocationSize({ format: 'RGBX' }));
        await s.copyTo(rgba, { format: 'RGBX' });
        const rgb = new Uint8Array((rgba.length / 4) * 3);
        for (let i = 0, j = 0; i < rgba.length; i += 4) {
          rgb[j++] = rgba[i];
          rgb[j++] = rgba[i + 1];
          rgb[j++] = rgba[i + 2];
        }
        out.push(rgb.toBase64());
        s.close();
      }
      return out;
    })(${JSON.stringify(Buffer.from(b).toString('base64'))})`)) as string[];
    expect(decoded.length).toBe(20);
    decoded.forEach((f, i) => {
      const rgb = Buffer.from(f, 'base64');
      let sum = 0;
      for (let k = 0; k < rgb.length; k++) sum += Math.abs(rgb[k] - frames[i][k]);
      expect(sum / rgb.length).toBeLessThan(6);
    });
  });

  it('evaluate writes ep_<seed>.gif/.mp4 for the first n episodes and every failure, from the episode itself', async () => {
    const seeds = [100000, 100001, 100002, 100003, 100004];
    const policy = new RandomPolicy({ obsDim: 5, low: [0, 0], high: [512, 512] });
    const outDir = path.join(tmp, 'eval-a');
    // 12 random steps never succeed: every episode is a failure, so failures: true records all of them.
    const info = await evaluate({ envId: 'PushT-v0', policy, seeds, nEnvs: 3, maxEpisodeSteps: 12, renderer: r, outDir, videos: { first: 2, failures: true } });
    const files = readdirSync(path.join(outDir, 'videos')).sort();
    expect(files).toEqual(seeds.flatMap((s) => [`ep_${s}.gif`, `ep_${s}.mp4`]));
    for (const ep of info.per_episode) {
      expect(ep.success).toBe(false);
      expect(ep.videos).toEqual([`videos/ep_${ep.seed}.gif`, `videos/ep_${ep.seed}.mp4`]);
      const gif = decodeGif(readFileSync(path.join(outDir, 'videos', `ep_${ep.seed}.gif`)));
      // The start state and every step after it.
      expect(gif.frames.length).toBe(ep.length + 1);
      const env = makeEnv('PushT-v0');
      env.reset({ seed: ep.seed });
      const [first] = await r.render(PUSHT_SCENE, [env.frame()], { width: 96, height: 96 });
      env.close();
      expect(Buffer.from(gif.frames[0]).equals(Buffer.from(first))).toBe(true);
    }
    const saved = JSON.parse(readFileSync(path.join(outDir, 'eval_info.json'), 'utf8'));
    expect(saved.per_episode[0].videos).toEqual(['videos/ep_100000.gif', 'videos/ep_100000.mp4']);
    expect(saved.renderer.browser).toMatch(/Chrom\w*\/\d+\.\d+\.\d+\.\d+/);
    expect(saved.renderer.webgl.length).toBeGreaterThan(0);

    // Without failures: only the first two; no MP4 when not asked for.
    const outB = path.join(tmp, 'eval-b');
    await evaluate({ envId: 'PushT-v0', policy, seeds, nEnvs: 5, maxEpisodeSteps: 12, renderer: r, outDir: outB, videos: { first: 2, failures: false, mp4: false, size: 64 } });
    expect(readdirSync(path.join(outB, 'videos')).sort()).toEqual(['ep_100000.gif', 'ep_100001.gif']);
    expect(decodeGif(readFileSync(path.join(outB, 'videos', 'ep_100000.gif'))).width).toBe(64);
  });

  it('state-based runs without videos launch no browser and write no videos folder', async () => {
    const policy = new RandomPolicy({ obsDim: 5, low: [0, 0], high: [512, 512] });
    const outDir = path.join(tmp, 'eval-c');
    const before = r.restarts;
    await evaluate({ envId: 'PushT-v0', policy, seeds: [7, 8], nEnvs: 2, maxEpisodeSteps: 5, outDir });
    expect(existsSync(path.join(outDir, 'videos'))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(outDir, 'eval_info.json'), 'utf8')).renderer).toBeUndefined();
    expect(r.restarts).toBe(before);
  });
});
