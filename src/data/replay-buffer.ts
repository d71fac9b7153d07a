/**
 * In-memory replay buffer in the layout of diffusion_policy's ReplayBuffer
 * (diffusion_policy/common/replay_buffer.py): every per-step array is the concatenation of all episodes
 * along time, and `episodeEnds[i]` is the cumulative step count after episode i, so episode i spans
 * `[episodeEnds[i-1] ?? 0, episodeEnds[i])`. On disk it is a Zarr v2 group readable by zarr-python 2.x:
 *
 *   .zattrs               { dpbench: { complete: true, … }, …attrs }   (written last)
 *   data/<key>            shape [nSteps, ...perStep], float32 or uint8
 *   meta/episode_ends     int64 [nEpisodes]
 *   meta/episode_<k>s     int64 / float64 [nEpisodes]: per-episode metadata `k` (seed → episode_seeds);
 *                         string metadata is an int64 index into meta/.zattrs `categories[<array name>]`
 *
 * `save` is atomic: the store is written to `<dir>.tmp-<pid>` and renamed over `dir` only when complete.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
  bigIntsToNumbers, isZarrGroup, listZarrArrays, readZarrArray, readZarrAttrs, writeZarrArray, writeZarrAttrs,
  writeZarrGroup, type WriteOptions, type ZarrArrayRead, type ZarrCompressor,
} from './zarr-v2.ts';

export type StepArray = Float32Array | Uint8Array;
/** Per key: T × perStep values, either bare (per-step shape known from the schema or earlier episodes) or with it. */
export type EpisodeInput = Record<string, StepArray | { data: StepArray; shape: number[] }>;
export type EpisodeMeta = Record<string, number | string>;

export interface SaveOptions extends WriteOptions {
  /** Compressor for data/ arrays (meta/ is stored raw, as the original does); default none. */
  compressor?: ZarrCompressor;
  /** Steps per chunk for data/ arrays; default as in zarr-v2.ts (~2 MB chunks). */
  chunkLength?: number;
}

interface Column { perStep: number[]; stepSize: number; data: StepArray }
interface MetaColumn { arrayName: string; values: Array<number | string> }

const KEY_RE = /^[A-Za-z][A-Za-z0-9_]*$/;
const FORMAT = 1;

export class ReplayBuffer {
  /** User attributes stored in the root `.zattrs` (the `dpbench` key is reserved). */
  attrs: Record<string, unknown> = {};
  private readonly columns = new Map<string, Column>();
  private readonly metaColumns = new Map<string, MetaColumn>();
  private readonly ends: number[] = [];

  /** `schema` fixes the keys and per-step shapes up front, e.g. `{ state: [5], keypoint: [9, 2], action: [2] }`. */
  constructor(private readonly schema?: Record<string, number[]>) {}

  get nEpisodes(): number { return this.ends.length; }
  get nSteps(): number { return this.ends.length ? this.ends[this.ends.length - 1] : 0; }
  /** Cumulative episode ends, as `meta/episode_ends` (read-only view, do not mutate). */
  get episodeEnds(): readonly number[] { return this.ends; }
  keys(): string[] { return [...this.columns.keys()]; }
  metaKeys(): string[] { return [...this.metaColumns.keys()]; }

  /** Steps `[start, end)` of episode i (the original's get_episode_slice). */
  episodeSlice(i: number): { start: number; end: number } {
    if (!Number.isInteger(i) || i < 0 || i >= this.ends.length) {
      throw new Error(`ReplayBuffer.episodeSlice: episode ${i} out of range [0, ${this.ends.length})`);
    }
    return { start: i === 0 ? 0 : this.ends[i - 1], end: this.ends[i] };
  }

  /** The concatenated array of `key` (a view of nSteps × stepSize values) and its per-step shape. */
  get(key: string): { data: StepArray; perStep: number[]; stepSize: number } {
    const col = this.columns.get(key);
    if (!col) throw new Error(`ReplayBuffer.get: no key '${key}'; keys are [${this.keys().join(', ')}]`);
    return { data: col.data.subarray(0, this.nSteps * col.stepSize), perStep: col.perStep, stepSize: col.stepSize };
  }

  /** Views of every key's steps in episode i. */
  getEpisode(i: number): Record<string, StepArray> {
    const { start, end } = this.episodeSlice(i);
    const out: Record<string, StepArray> = {};
    for (const [k, c] of this.columns) out[k] = c.data.subarray(start * c.stepSize, end * c.stepSize);
    return out;
  }

  /** The per-episode values of metadata `key` (seed, mode, …). */
  getMeta(key: string): ReadonlyArray<number | string> {
    const m = this.metaColumns.get(key);
    if (!m) throw new Error(`ReplayBuffer.getMeta: no metadata '${key}'; metadata keys are [${this.metaKeys().join(', ')}]`);
    return m.values;
  }

  /** Appends one episode (all keys, same T ≥ 1); validates everything before changing the buffer. Returns its index. */
  addEpisode(episode: EpisodeInput, meta: EpisodeMeta = {}): number {
    const where = `ReplayBuffer.addEpisode(episode ${this.nEpisodes})`;
    const known = this.columns.size ? this.keys() : this.schema ? Object.keys(this.schema) : null;
    const given = Object.keys(episode);
    if (given.length === 0) throw new Error(`${where}: no arrays given`);
    if (known && (given.length !== known.length || given.some((k) => !known.includes(k)))) {
      throw new Error(`${where}: keys must be [${known.join(', ')}], got [${given.join(', ')}]`);
    }
    let T = -1;
    const staged: Array<[string, StepArray, number[]]> = [];
    for (const key of given) {
      if (!KEY_RE.test(key)) throw new Error(`${where}: key '${key}' must match ${KEY_RE}`);
      const entry = episode[key];
      const data = ArrayBuffer.isView(entry) ? entry : entry.data;
      const perStep = (ArrayBuffer.isView(entry) ? undefined : entry.shape) ?? this.columns.get(key)?.perStep ?? this.schema?.[key];
      if (!perStep) throw new Error(`${where}: per-step shape of '${key}' unknown; pass { data, shape } or a schema`);
      if (!(data instanceof Float32Array || data instanceof Uint8Array)) {
        throw new Error(`${where}: '${key}' must be a Float32Array or Uint8Array, got ${(data as object)?.constructor?.name}`);
      }
      const col = this.columns.get(key);
      const expected = col?.perStep ?? this.schema?.[key];
      if (expected && expected.join() !== perStep.join()) {
        throw new Error(`${where}: '${key}' per-step shape must be [${expected}], got [${perStep}]`);
      }
      if (col && col.data.constructor !== data.constructor) {
        throw new Error(`${where}: '${key}' must be a ${col.data.constructor.name} like earlier episodes, got ${data.constructor.name}`);
      }
      const stepSize = perStep.reduce((a, b) => a * b, 1);
      if (stepSize < 1 || data.length % stepSize !== 0) {
        throw new Error(`${where}: '${key}' has ${data.length} values, not a multiple of its per-step size ${stepSize} ([${perStep}])`);
      }
      const t = data.length / stepSize;
      if (T === -1) T = t;
      if (t !== T || t < 1) throw new Error(`${where}: every key needs the same T ≥ 1 steps; '${key}' has ${t}, '${given[0]}' has ${T}`);
      staged.push([key, data, perStep]);
    }
    this.checkMeta(meta, where);

    for (const [key, data, perStep] of staged) this.append(key, data, perStep);
    for (const [k, v] of Object.entries(meta)) {
      const m = this.metaColumns.get(k) ?? { arrayName: `episode_${k}s`, values: [] };
      m.values.push(v);
      this.metaColumns.set(k, m);
    }
    this.ends.push(this.nSteps + T);
    return this.ends.length - 1;
  }

  private checkMeta(meta: EpisodeMeta, where: string): void {
    const keys = Object.keys(meta);
    if (this.nEpisodes > 0) {
      const known = this.metaKeys();
      if (keys.length !== known.length || keys.some((k) => !this.metaColumns.has(k))) {
        throw new Error(`${where}: metadata keys must be [${known.join(', ')}] like earlier episodes, got [${keys.join(', ')}]`);
      }
    }
    for (const k of keys) {
      const v = meta[k];
      if (!KEY_RE.test(k) || k === 'end') throw new Error(`${where}: metadata key '${k}' must match ${KEY_RE} and not be 'end'`);
      if (typeof v !== 'number' && typeof v !== 'string') throw new Error(`${where}: metadata '${k}' must be a number or string, got ${typeof v}`);
      const prev = this.metaColumns.get(k)?.values[0];
      if (prev !== undefined && typeof prev !== typeof v) {
        throw new Error(`${where}: metadata '${k}' must be a ${typeof prev} like earlier episodes, got ${JSON.stringify(v)}`);
      }
    }
  }

  private append(key: string, data: StepArray, perStep: number[]): void {
    let col = this.columns.get(key);
    const stepSize = perStep.reduce((a, b) => a * b, 1);
    if (!col) {
      col = { perStep: [...perStep], stepSize, data: data instanceof Float32Array ? new Float32Array(0) : new Uint8Array(0) };
      this.columns.set(key, col);
    }
    const used = this.nSteps * stepSize;
    if (used + data.length > col.data.length) {
      const grown = new (col.data.constructor as new (n: number) => StepArray)(Math.max(used + data.length, 2 * col.data.length));
      grown.set(col.data.subarray(0, used));
      col.data = grown;
    }
    col.data.set(data, used);
  }

  /** Writes the Zarr v2 store `dir` atomically (see the file comment); replaces an existing store only when done. */
  save(dir: string, opts: SaveOptions = {}): void {
    if ('dpbench' in this.attrs) throw new Error(`ReplayBuffer.save(${dir}): attrs key 'dpbench' is reserved`);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      // The incomplete marker precedes even .zgroup: a store left by a killed save is never mistaken for
      // a (marker-less) zarr-python store.
      writeZarrAttrs(tmp, '', { ...this.attrs, dpbench: { complete: false } }, opts);
      writeZarrGroup(tmp, '', undefined, opts);
      writeZarrGroup(tmp, 'data', undefined, opts);
      for (const [key, col] of this.columns) {
        writeZarrArray(tmp, `data/${key}`, {
          data: this.get(key).data, shape: [this.nSteps, ...col.perStep], chunkLength: opts.chunkLength, compressor: opts.compressor,
        }, opts);
      }
      const categories: Record<string, string[]> = {};
      const metaArrays: Array<[string, number[] | Float64Array]> = [['episode_ends', this.ends]];
      for (const m of this.metaColumns.values()) {
        if (typeof m.values[0] === 'string') {
          const names = [...new Set(m.values as string[])].sort();
          categories[m.arrayName] = names;
          metaArrays.push([m.arrayName, (m.values as string[]).map((v) => names.indexOf(v))]);
        } else {
          const nums = m.values as number[];
          metaArrays.push([m.arrayName, nums.every(Number.isSafeInteger) ? nums : Float64Array.from(nums)]);
        }
      }
      writeZarrGroup(tmp, 'meta', Object.keys(categories).length ? { categories } : undefined, opts);
      for (const [name, values] of metaArrays) writeZarrArray(tmp, `meta/${name}`, { data: values, shape: [values.length] }, opts);
      writeZarrAttrs(tmp, '', {
        ...this.attrs,
        dpbench: { complete: true, format: FORMAT, nEpisodes: this.nEpisodes, nSteps: this.nSteps, keys: this.keys() },
      }, opts);
      swapIn(tmp, dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /** Reads a store written by `save` or by zarr-python (the original datasets), validating its shape. */
  static async load(dir: string): Promise<ReplayBuffer> {
    const where = `replay buffer ${dir}`;
    if (!existsSync(dir)) throw new Error(`${where}: no such directory`);
    if (!isZarrGroup(dir)) throw new Error(`${where}: not a Zarr v2 group (no .zgroup)`);
    const { dpbench, ...attrs } = readZarrAttrs(dir);
    if (dpbench !== undefined && (dpbench as { complete?: unknown }).complete !== true) {
      throw new Error(`${where}: incomplete store (.zattrs dpbench.complete is not true; the save that wrote it was interrupted)`);
    }
    if (!existsSync(path.join(dir, 'meta', 'episode_ends', '.zarray'))) throw new Error(`${where}: missing array meta/episode_ends`);
    const endsRaw = await readZarrArray(dir, 'meta/episode_ends');
    const ends = integers(endsRaw, `${where}: meta/episode_ends`);
    if (endsRaw.shape.length !== 1) throw new Error(`${where}: meta/episode_ends must be 1-D, got shape [${endsRaw.shape}]`);
    ends.forEach((e, i) => {
      const prev = i === 0 ? 0 : ends[i - 1];
      if (e <= prev) throw new Error(`${where}: meta/episode_ends must be strictly increasing from 0 (episodes of ≥ 1 step); [${i}] = ${e} after ${prev}`);
    });
    const nSteps = ends.length ? ends[ends.length - 1] : 0;

    const buffer = new ReplayBuffer();
    buffer.attrs = attrs;
    buffer.ends.push(...ends);
    const names = listZarrArrays(dir, 'data');
    if (names.length === 0 && ends.length > 0) throw new Error(`${where}: data/ holds no arrays but meta/episode_ends lists ${ends.length} episodes`);
    for (const name of names) {
      const arr = await readZarrArray(dir, `data/${name}`);
      if (arr.shape[0] !== nSteps) {
        throw new Error(`${where}: data/${name} has ${arr.shape[0]} steps (shape [${arr.shape}]), expected ${nSteps} = last of meta/episode_ends`);
      }
      const data = arr.data instanceof Float32Array || arr.data instanceof Uint8Array ? arr.data : toFloat32(arr, `${where}: data/${name}`);
      const perStep = arr.shape.slice(1);
      buffer.columns.set(name, { perStep, stepSize: perStep.reduce((a, b) => a * b, 1), data });
    }
    const categories = (readZarrAttrs(dir, 'meta').categories ?? {}) as Record<string, string[]>;
    for (const name of listZarrArrays(dir, 'meta')) {
      if (name === 'episode_ends' || !name.startsWith('episode_')) continue;
      const arr = await readZarrArray(dir, `meta/${name}`);
      if (arr.shape.length !== 1 || arr.shape[0] !== ends.length) {
        throw new Error(`${where}: meta/${name} must have shape [${ends.length}] (one value per episode), got [${arr.shape}]`);
      }
      const names = categories[name];
      const nums = arr.dtype.startsWith('float') ? Array.from(arr.data as Float64Array) : integers(arr, `${where}: meta/${name}`);
      const values = names ? nums.map((v, i) => {
        if (names[v] === undefined) throw new Error(`${where}: meta/${name}[${i}] = ${v} is not an index into its ${names.length} category names`);
        return names[v];
      }) : nums;
      const key = name.slice('episode_'.length).replace(/s$/, '');
      buffer.metaColumns.set(key, { arrayName: name, values });
    }
    return buffer;
  }
}

function integers(arr: ZarrArrayRead, what: string): number[] {
  if (!/^u?int/.test(arr.dtype)) throw new Error(`${what} must have an integer dtype, got ${arr.dtype}`);
  return bigIntsToNumbers(arr.data as BigInt64Array, what);
}

/** Other numeric dtypes load as float32, the dtype training uses (int64 through a ±2^53 range check). */
function toFloat32(arr: ZarrArrayRead, what: string): Float32Array {
  if (arr.data instanceof BigInt64Array || arr.data instanceof BigUint64Array) return Float32Array.from(bigIntsToNumbers(arr.data, what));
  return Float32Array.from(arr.data as Float64Array);
}

/** Renames the finished `tmp` over `dir`; the old store is moved aside first and deleted only after. */
function swapIn(tmp: string, dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(path.dirname(dir), { recursive: true });
    renameSync(tmp, dir);
    return;
  }
  const old = `${dir}.old-${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  renameSync(dir, old);
  try {
    renameSync(tmp, dir);
  } catch (e) {
    renameSync(old, dir);
    throw e;
  }
  rmSync(old, { recursive: true, force: true });
}
