/**
 * `dpbench collect`: scripted-expert demonstrations into a replay buffer (Zarr v2, the original's
 * layout) under results/datasets/<env>-<cfgHash>/replay.zarr, with `dataset.json` beside it (config and
 * collection statistics). Seeds run from `seedStart` upwards; episodes the expert fails are skipped
 * (and listed), until `episodes` demonstrations are in. An identical existing dataset is reused.
 *
 * With `images`, each step's camera image is stored too, as `data/img` (N, H, W, 3) uint8 like the
 * original's image datasets: the observation before each action, rendered (src/render) from the
 * episode's frames in one batch when the episode is kept; data/ arrays are then zlib-compressed.
 */
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { makeEnv, envIds } from '../../envs/index.ts';
import { ReplayBuffer } from '../data/replay-buffer.ts';
import { wilson, mean, type Interval } from '../eval/metrics.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { cfgHash, stableStringify } from '../util/hash.ts';
import { expertFor } from './experts.ts';
import { Renderer, rendererOf, type RendererSource } from '../render/renderer.ts';
import { sceneFor } from '../render/scenes.ts';
import type { SceneFrame } from '../../envs/core/types.ts';

export interface CollectConfig {
  env: string;
  expert: string;
  episodes: number;
  seedStart: number;
  maxEpisodeSteps: number;
  /** Side of the stored camera images (`data/img`), when images are collected. Absent: none. */
  images?: number;
}

export interface CollectStats {
  demonstrations: number;
  attempted: number;
  failedSeeds: number[];
  /** Expert success over the attempted seeds, 95% Wilson interval. */
  successRate: Interval;
  modes: Record<string, number>;
  /** Share of demonstrations whose label (from observations) equals the mode the expert chose. */
  labelAgreement: number;
  length: { mean: number; median: number; min: number; max: number };
  episodesPerSecond: number;
  bytesOnDisk: number;
}

export interface CollectResult {
  dir: string;
  store: string;
  /** The demonstrations, as saved (or as loaded, when reused). */
  buffer: ReplayBuffer;
  reused: boolean;
  config: CollectConfig;
  stats: CollectStats;
}

export interface CollectOptions {
  resultsDir: string;
  /** Dataset folder; default results/datasets/<env>-<cfgHash>. */
  out?: string;
  onEpisode?: (done: number, total: number, successes: number, attempted: number) => void;
  /** Renderer for `images`, asked for only when images are drawn (default: one launched for the collection and closed after). */
  renderer?: RendererSource;
}

export function collectConfig(env: string, episodes: number, seedStart: number, images?: number): CollectConfig {
  if (images !== undefined && (!Number.isInteger(images) || images < 8 || images > 1024)) throw new Error(`images (the image side) must be an integer in [8, 1024], got ${images}`);
  if (!envIds().includes(env)) throw new Error(`unknown env id ${JSON.stringify(env)}; registered: ${envIds().join(', ')}`);
  if (!Number.isInteger(episodes) || episodes < 1) throw new Error(`episodes must be a positive integer, got ${episodes}`);
  if (!Number.isInteger(seedStart) || seedStart < 0) throw new Error(`seed start must be a non-negative integer, got ${seedStart}`);
  const probe = makeEnv(env);
  const maxEpisodeSteps = probe.spec.maxEpisodeSteps;
  probe.close();
  return { env, expert: expertFor(env).name, episodes, seedStart, maxEpisodeSteps, ...(images !== undefined ? { images } : {}) };
}

export async function collect(config: CollectConfig, opts: CollectOptions): Promise<CollectResult> {
  const dir = opts.out ?? path.join(opts.resultsDir, 'datasets', `${config.env}-${cfgHash(config)}`);
  const store = path.join(dir, 'replay.zarr');
  const infoFile = path.join(dir, 'dataset.json');
  if (existsSync(store)) {
    const existing = existsSync(infoFile) ? (JSON.parse(readFileSync(infoFile, 'utf8')) as { config?: CollectConfig; stats?: CollectStats }) : {};
    if (existing.config && stableStringify(existing.config) === stableStringify(config) && existing.stats) {
      const buffer = await ReplayBuffer.load(store); // refuses an incomplete store
      return { dir, store, buffer, reused: true, config, stats: existing.stats };
    }
    throw new Error(
      `dataset ${store} exists with a different config (${existing.config ? stableStringify(existing.config) : 'no dataset.json'}), wanted ${stableStringify(config)}; remove it or choose another --out`,
    );
  }

  const spec = expertFor(config.env);
  const env = makeEnv(config.env, { maxEpisodeSteps: config.maxEpisodeSteps });
  const side = config.images;
  const buffer = new ReplayBuffer(side ? { ...spec.schema, img: [side, side, 3] } : spec.schema);
  const given = side && opts.renderer ? await rendererOf(opts.renderer) : null;
  const renderer = side ? given ?? (await Renderer.launch()) : null;
  const scene = side ? sceneFor(config.env) : null;
  const failedSeeds: number[] = [];
  const modes: Record<string, number> = {};
  const lengths: number[] = [];
  let agree = 0;
  const maxAttempts = config.episodes * 2 + 10;
  const t0 = performance.now();
  let seed = config.seedStart;
  try {
    while (buffer.nEpisodes < config.episodes) {
      if (seed - config.seedStart >= maxAttempts) {
        throw new Error(`${config.env}: the expert failed ${failedSeeds.length} of ${seed - config.seedStart} episodes; stopped before ${config.episodes} demonstrations`);
      }
      const episode = runEpisode(env, spec, seed, config.maxEpisodeSteps, renderer !== null);
      if (episode === null) {
        failedSeeds.push(seed);
      } else {
        let img: Uint8Array | null = null;
        if (renderer && scene && side) {
          const imgs = await renderer.render(scene, episode.frames, { width: side, height: side });
          img = new Uint8Array(episode.length * side * side * 3);
          imgs.forEach((im, t) => img!.set(im, t * im.length));
        }
        const label = spec.label(episode.arrays);
        if (label === episode.mode) agree++;
        modes[episode.mode] = (modes[episode.mode] ?? 0) + 1;
        lengths.push(episode.length);
        buffer.addEpisode(img ? { ...episode.arrays, img } : episode.arrays, { seed, mode: episode.mode, label });
      }
      seed++;
      opts.onEpisode?.(buffer.nEpisodes, config.episodes, buffer.nEpisodes, seed - config.seedStart);
    }
  } finally {
    env.close();
    if (renderer && !given) await renderer.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  buffer.attrs.config = config;
  buffer.save(store, side ? { compressor: { id: 'zlib', level: 1 } } : {});
  const attempted = seed - config.seedStart;
  const sorted = [...lengths].sort((a, b) => a - b);
  const stats: CollectStats = {
    demonstrations: buffer.nEpisodes,
    attempted,
    failedSeeds,
    successRate: wilson(attempted - failedSeeds.length, attempted),
    modes,
    labelAgreement: agree / buffer.nEpisodes,
    length: { mean: mean(lengths), median: sorted[sorted.length >> 1], min: sorted[0], max: sorted[sorted.length - 1] },
    episodesPerSecond: attempted / seconds,
    bytesOnDisk: du(store),
  };
  writeJsonAtomic(infoFile, { config, stats });
  return { dir, store, buffer, reused: false, config, stats };
}

interface Episode {
  arrays: Record<string, Float32Array>;
  /** The frame before each action (for the images), when asked for. */
  frames: SceneFrame[];
  mode: string;
  length: number;
}

/** One expert episode; null when it did not succeed. Records the observation before each action. */
function runEpisode(env: ReturnType<typeof makeEnv>, spec: ReturnType<typeof expertFor>, seed: number, maxSteps: number, withFrames: boolean): Episode | null {
  const frames: SceneFrame[] = [];
  env.reset({ seed });
  const expert = spec.make(seed);
  const mode = expert.reset(env.getState());
  const full: Record<string, Float32Array> = {};
  for (const [k, shape] of Object.entries(spec.schema)) full[k] = new Float32Array(maxSteps * shape.reduce((a, b) => a * b, 1));
  for (let t = 0; t < maxSteps; t++) {
    const state = env.getState();
    spec.record(state, full, t);
    if (withFrames) frames.push(env.frame());
    const { action } = expert.act(state);
    const da = spec.schema.action[0];
    for (let d = 0; d < da; d++) full.action[t * da + d] = action[d];
    const r = env.step(action);
    if (r.terminated) {
      const length = t + 1;
      const arrays = Object.fromEntries(
        Object.entries(spec.schema).map(([k, shape]) => [k, full[k].slice(0, length * shape.reduce((a, b) => a * b, 1))]),
      );
      return { arrays, frames, mode, length };
    }
    if (r.truncated) break;
  }
  return null;
}

function du(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((sum, f) => sum + du(path.join(p, f)), 0);
}
