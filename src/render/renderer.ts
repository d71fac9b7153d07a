/**
 * The batched scene renderer: three.js in headless Chromium (src/render/page), driven by puppeteer-core,
 * page served from 127.0.0.1 (src/render/server.ts).
 *
 *   const r = await Renderer.launch();
 *   const images = await r.render(PUSHT_SCENE, frames, { width: 96, height: 96 }); // Uint8Array H×W×3 each
 *   await r.close();
 *
 * A scene is built in the page once (by its description's id) and then only its bodies move. One `render`
 * call draws every frame it is given into one tiled render target and reads all pixels back at once.
 *
 * Renders are pure functions of (scene, frames, size), so a crashed or hung browser loses nothing: a
 * request that fails because Chromium died (or that outlives `timeoutMs`) kills what is left of it,
 * launches a fresh one, rebuilds the scenes and is issued again. Bad input fails at once, not retried.
 */
import type { Browser, Page } from 'puppeteer-core';
import type { ChildProcess } from 'node:child_process';
import type { SceneDescription } from '../../envs/core/scene.ts';
import type { SceneFrame } from '../../envs/core/types.ts';
import { launchChromium } from './browser.ts';
import { PageServer } from './server.ts';
import { unpackRuns } from './runs.ts';

export interface RendererOptions {
  /** A request (render, encode) taking longer than this is taken for a hung browser: restart and retry. */
  timeoutMs?: number;
  /** Tries per request, the first included, each after a fresh browser. */
  attempts?: number;
  /** Called after every restart with why and how long the relaunch took. */
  onRestart?: (reason: string, ms: number) => void;
}

export interface ImageSize {
  width: number;
  height: number;
}

export interface RendererInfo {
  /** Chromium's product and version, e.g. `HeadlessChrome/156.0.8078.79`. */
  browser: string;
  userAgent: string;
  /** The WebGL renderer string (ANGLE/SwiftShader on machines without a GPU). */
  webgl: string;
  /** Largest render target side the page uses. */
  maxTarget: number;
  /** Whether the page has WebCodecs' VideoEncoder (MP4 videos). */
  webcodecs: boolean;
}

interface Session {
  browser: Browser;
  page: Page;
  info: RendererInfo;
}

/**
 * A renderer, or a function that gives one when first asked: a caller can share one browser among stages that
 * may each be reused from disk, and launch none when nothing is drawn.
 */
export type RendererSource = Renderer | (() => Promise<Renderer>);

export function rendererOf(source: RendererSource): Promise<Renderer> {
  return typeof source === 'function' ? source() : Promise.resolve(source);
}

/** Thrown for requests the page rejected as malformed: retrying in a fresh browser would not help. */
export class RenderInputError extends Error {}

const PAGE_ERROR = 'dpbench-page: ';
const MAX_SIDE = 4096;

export class Renderer {
  /** Browser restarts so far (crashes and hangs recovered from). */
  restarts = 0;
  /** Wall time of the last restart, ms (kill, launch, page load, scenes rebuilt). */
  lastRestartMs: number | null = null;
  private session: Session | null = null;
  private starting: Promise<Session> | null = null;
  private readonly scenes = new Map<string, SceneDescription>();
  private readonly built = new WeakMap<Session, Set<string>>();
  private closed = false;
  private poseScratch = new Float32Array(0);
  private readonly timeoutMs: number;
  private readonly attempts: number;

  private constructor(private readonly server: PageServer, private readonly opts: RendererOptions) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.attempts = opts.attempts ?? 3;
    if (!(this.timeoutMs > 0)) throw new Error(`Renderer: timeoutMs must be > 0, got ${this.timeoutMs}`);
    if (!Number.isInteger(this.attempts) || this.attempts < 1) throw new Error(`Renderer: attempts must be a positive integer, got ${this.attempts}`);
  }

  /** Starts the page server and Chromium. */
  static async launch(opts: RendererOptions = {}): Promise<Renderer> {
    const server = await PageServer.start();
    const r = new Renderer(server, opts);
    try {
      await r.ready();
    } catch (e) {
      await r.close();
      throw e;
    }
    return r;
  }

  /** What the page runs on (Chromium version, WebGL renderer, WebCodecs). */
  async info(): Promise<RendererInfo> {
    return (await this.ready()).info;
  }

  /** The Chromium process (tests kill it to prove recovery); null between a crash and the relaunch. */
  get browserProcess(): ChildProcess | null {
    return this.session?.browser.process() ?? null;
  }

  /** The live page, for tests that make it hang. */
  get page(): Page | null {
    return this.session?.page ?? null;
  }

  /**
   * Renders each frame of `frames` (all of `scene`, body poses in `scene.bodies` order) at `size`; returns
   * one RGB image per frame, row-major from the top-left, H × W × 3 bytes. One readback per call (batches
   * larger than a 4096² target are split). With `out` (at least frames × H × W × 3 bytes) the images are
   * views into it, and nothing is allocated for the pixels.
   */
  async render(scene: SceneDescription, frames: readonly SceneFrame[], size: ImageSize, out?: Uint8Array): Promise<Uint8Array[]> {
    checkSize(size, `render ${scene.id}`);
    const nb = scene.bodies.length;
    const need = frames.length * nb * 7;
    if (this.poseScratch.length < need) this.poseScratch = new Float32Array(need);
    const poses = this.poseScratch.subarray(0, need);
    frames.forEach((f, i) => {
      if (f.names !== scene.bodies && (f.names.length !== nb || f.names.some((n, b) => n !== scene.bodies[b]))) {
        throw new RenderInputError(`render ${scene.id}: frame ${i} has bodies [${f.names.join(', ')}], expected [${scene.bodies.join(', ')}]`);
      }
      if (f.poses.length !== nb * 7) throw new RenderInputError(`render ${scene.id}: frame ${i} has ${f.poses.length} pose values, expected ${nb} bodies × 7`);
      poses.set(f.poses, i * nb * 7);
    });
    return this.renderPoses(scene, poses, frames.length, size, out);
  }

  /** As `render`, from poses already packed: count × bodies × 7 float32 (x, y, z, qx, qy, qz, qw). */
  async renderPoses(scene: SceneDescription, poses: Float32Array, count: number, size: ImageSize, out?: Uint8Array): Promise<Uint8Array[]> {
    checkSize(size, `render ${scene.id}`);
    const nb = scene.bodies.length;
    const frameBytes = size.width * size.height * 3;
    if (out && out.length < count * frameBytes) throw new RenderInputError(`render ${scene.id}: out holds ${out.length} bytes, ${count} frames need ${count * frameBytes}`);
    const pixels = out ?? new Uint8Array(count * frameBytes);
    if (poses.length !== count * nb * 7) throw new RenderInputError(`render ${scene.id}: ${count} frames × ${nb} bodies need ${count * nb * 7} pose values, got ${poses.length}`);
    for (let i = 0; i < poses.length; i++) {
      if (!Number.isFinite(poses[i])) throw new RenderInputError(`render ${scene.id}: pose value ${i} (frame ${Math.floor(i / (nb * 7))}) is ${poses[i]}, expected a finite number`);
    }
    this.remember(scene);
    const perPass = Math.floor(MAX_SIDE / size.width) * Math.floor(MAX_SIDE / size.height);
    // Encode every pass now: `poses` may be a scratch another call refills while this one waits.
    const passes: Array<{ n: number; b64: string }> = [];
    for (let start = 0; start < count; start += perPass) {
      const n = Math.min(perPass, count - start);
      const part = poses.subarray(start * nb * 7, (start + n) * nb * 7);
      passes.push({ n, b64: Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64') });
    }
    const images: Uint8Array[] = [];
    for (const { n, b64 } of passes) {
      const first = images.length;
      const dst = pixels.subarray(first * frameBytes, (first + n) * frameBytes);
      await this.request(`render ${scene.id} (${n} frames at ${size.width}×${size.height})`, async (s) => {
        await this.ensureScene(s, scene.id);
        const packed = await s.page.evaluate(
          (sid, w, h, c, p) => (window as unknown as PageApi).dpbench.render(sid, w, h, c, p),
          scene.id, size.width, size.height, n, b64,
        );
        unpackRuns(Buffer.from(packed, 'base64'), dst);
      });
      for (let i = first; i < first + n; i++) images.push(pixels.subarray(i * frameBytes, (i + 1) * frameBytes));
    }
    return images;
  }

  /**
   * Encodes RGB frames (H × W × 3 each) as an MP4 in the page with WebCodecs (H.264 when available, else
   * VP9 or AV1 in MP4). Returns null when the browser has no WebCodecs encoder for this size.
   */
  async encodeMp4(frames: readonly Uint8Array[], size: ImageSize, fps: number): Promise<{ bytes: Uint8Array; codec: string } | null> {
    checkSize(size, 'encodeMp4');
    if (size.width % 2 || size.height % 2) throw new RenderInputError(`encodeMp4: width and height must be even (4:2:0 video), got ${size.width}×${size.height}`);
    if (!(fps > 0)) throw new RenderInputError(`encodeMp4: fps must be > 0, got ${fps}`);
    if (frames.length === 0) throw new RenderInputError('encodeMp4: no frames');
    const frameBytes = size.width * size.height * 3;
    const all = new Uint8Array(frames.length * frameBytes);
    frames.forEach((f, i) => {
      if (f.length !== frameBytes) throw new RenderInputError(`encodeMp4: frame ${i} has ${f.length} bytes, expected ${size.width}×${size.height}×3 = ${frameBytes}`);
      all.set(f, i * frameBytes);
    });
    return this.request(`encodeMp4 (${frames.length} frames at ${size.width}×${size.height})`, async (s) => {
      if (!s.info.webcodecs) return null;
      const inId = this.server.newId('frames');
      this.server.offer(inId, all);
      try {
        const got = await s.page.evaluate(
          (i, w, h, c, f) => (window as unknown as PageApi).dpbench.encodeMp4(i, w, h, c, f),
          inId, size.width, size.height, frames.length, fps,
        );
        return got === null ? null : { bytes: new Uint8Array(Buffer.from(got.mp4, 'base64')), codec: got.codec };
      } finally {
        this.server.withdraw(inId);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const s = this.session ?? (this.starting ? await this.starting.catch(() => null) : null);
    this.session = null;
    if (s) await s.browser.close().catch(() => killBrowser(s.browser));
    await this.server.close();
  }

  private remember(scene: SceneDescription): void {
    const known = this.scenes.get(scene.id);
    if (known !== undefined && known !== scene && JSON.stringify(known) !== JSON.stringify(scene)) {
      throw new RenderInputError(`render: two different scene descriptions share the id ${JSON.stringify(scene.id)}`);
    }
    if (known === undefined) this.scenes.set(scene.id, scene);
  }

  private async ensureScene(s: Session, id: string): Promise<void> {
    const done = this.built.get(s)!;
    if (done.has(id)) return;
    await s.page.evaluate((d) => (window as unknown as PageApi).dpbench.addScene(d), this.scenes.get(id)! as unknown as Record<string, unknown>);
    done.add(id);
  }

  /** Runs `fn` on a live session; on a crash or a hang, restarts Chromium and runs it again. */
  private async request<T>(what: string, fn: (s: Session) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new Error(`renderer: ${what} after close()`);
      let s: Session | null = null;
      try {
        s = await this.ready(); // a failed (re)launch counts as a failed attempt too
        return await withTimeout(fn(s), this.timeoutMs, `renderer: ${what} took longer than ${this.timeoutMs} ms`);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const at = msg.indexOf(PAGE_ERROR);
        if (at >= 0) throw new RenderInputError(`renderer: ${msg.slice(at + PAGE_ERROR.length).split('\n')[0]}`);
        if (e instanceof RenderInputError || this.closed) throw e;
        if (attempt >= this.attempts) throw new Error(`renderer: ${what} failed in ${attempt} browsers; last error: ${msg}`);
        if (s) this.drop(s, msg);
      }
    }
  }

  /** Forgets a failed session and kills its browser; the next `ready()` launches a fresh one. */
  private drop(s: Session, reason: string): void {
    if (this.session !== s) return; // another request already restarted
    this.session = null;
    killBrowser(s.browser);
    const t0 = performance.now();
    this.starting = this.start().finally(() => (this.starting = null));
    this.starting.then(
      () => {
        this.restarts++;
        this.lastRestartMs = performance.now() - t0;
        this.opts.onRestart?.(reason, this.lastRestartMs);
      },
      () => undefined,
    );
  }

  private async ready(): Promise<Session> {
    if (this.session && this.session.browser.connected && !this.session.page.isClosed()) return this.session;
    if (this.session) this.drop(this.session, 'browser disconnected');
    this.starting ??= this.start().finally(() => (this.starting = null));
    return this.starting;
  }

  private async start(): Promise<Session> {
    const browser = await launchChromium();
    try {
      // The tab Chromium opens with is ours: a new one would cost another renderer process start.
      const page = (await browser.pages())[0] ?? (await browser.newPage());
      page.setDefaultTimeout(this.timeoutMs);
      await page.goto(`${this.server.origin}/`, { waitUntil: 'load' });
      await page.waitForFunction(() => (window as unknown as { dpbenchReady?: boolean }).dpbenchReady === true);
      const info = { browser: await browser.version(), ...(await page.evaluate(() => (window as unknown as PageApi).dpbench.info())) };
      const s: Session = { browser, page, info };
      this.built.set(s, new Set());
      if (this.closed) throw new Error('renderer closed while starting');
      this.session = s;
      return s;
    } catch (e) {
      killBrowser(browser);
      throw e;
    }
  }
}

interface PageApi {
  dpbench: {
    addScene(d: Record<string, unknown>): boolean;
    /** The frames' pixels, run-length coded (src/render/runs.ts), in base64. */
    render(sceneId: string, w: number, h: number, count: number, posesB64: string): string;
    info(): Omit<RendererInfo, 'browser'>;
    encodeMp4(inId: string, w: number, h: number, count: number, fps: number): Promise<{ codec: string; mp4: string } | null>;
  };
}

function checkSize(size: ImageSize, what: string): void {
  for (const k of ['width', 'height'] as const) {
    const v = size[k];
    if (!Number.isInteger(v) || v < 1 || v > MAX_SIDE) throw new RenderInputError(`${what}: ${k} must be an integer in [1, ${MAX_SIDE}], got ${v}`);
  }
}

function killBrowser(b: Browser): void {
  const p = b.process();
  if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  b.disconnect().catch(() => undefined);
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
