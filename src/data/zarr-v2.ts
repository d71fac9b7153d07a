/**
 * A minimal Zarr v2 writer and a zarrita-backed reader, enough for diffusion_policy's replay buffer
 * (diffusion_policy/common/replay_buffer.py: a group with `data/<key>` and `meta/episode_ends`).
 *
 * zarrita writes only Zarr v3, and zarr-python 2.x (which reads the original datasets) reads only v2, so
 * the writer is hand-made: `.zgroup`/`.zarray`/`.zattrs` JSON plus one raw (or zlib) chunk file per
 * block of rows, chunked along axis 0 only, C order, little-endian. Spec:
 * https://zarr-specs.readthedocs.io/en/latest/v2/v2.0.html
 *
 * Reading goes through zarrita (`open.v2` + `get`), whose default codec registry already maps numcodecs'
 * `blosc`, `lz4`, `zstd` and `zlib` ids, so stores written with zarr-python's default compressor
 * (Blosc lz4) load; `ensureNumcodecs()` re-registers Blosc should a future zarrita drop it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import * as zarr from 'zarrita';
import { FileSystemStore } from '@zarrita/storage';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';

/** The numpy dtype strings the writer emits. */
export type ZarrDtype = '<f4' | '<f8' | '<i8' | '|u1';
export type ZarrData = Float32Array | Float64Array | BigInt64Array | Uint8Array;
/** numcodecs' zlib codec (`numcodecs.zlib.Zlib(level)`); `null` stores raw bytes. */
export type ZarrCompressor = null | { id: 'zlib'; level: number };

export interface ZarrArrayInput {
  /** Row-major values; `number[]` is stored as int64 (each must be a safe integer). */
  data: ZarrData | number[];
  /** Full shape; its product must equal the number of values. */
  shape: number[];
  /** Rows (axis-0 entries) per chunk file; default: whole array when ≤ 2 MB, else ~2 MB chunks. */
  chunkLength?: number;
  compressor?: ZarrCompressor;
  attrs?: Record<string, unknown>;
}

export interface WriteOptions {
  /** Test hook, called after every file the writer creates (throw from it to simulate a crash). */
  onFileWritten?: (file: string) => void;
}

export interface ZarrArrayRead {
  dtype: string;
  shape: number[];
  data: ZarrData | Int32Array | Int16Array | Int8Array | Uint16Array | Uint32Array | BigUint64Array;
}

/** replay_buffer.py's get_optimal_chunks aims at ~2 MB chunks; small arrays stay in one chunk. */
export const TARGET_CHUNK_BYTES = 2_000_000;

const DTYPE_OF: Array<[new (...a: never[]) => ZarrData, ZarrDtype]> = [
  [Float32Array, '<f4'],
  [Float64Array, '<f8'],
  [BigInt64Array, '<i8'],
  [Uint8Array, '|u1'],
];

if (endianness() !== 'LE') throw new Error(`zarr-v2: raw chunks are written in host byte order, which must be little-endian (got ${endianness()})`);

export function ensureNumcodecs(): void {
  if (!zarr.registry.has('blosc')) {
    zarr.registry.set('blosc', () => import('numcodecs/blosc').then((m) => m.default as never));
  }
}
ensureNumcodecs();

/** Converts int64 values to numbers, refusing any outside ±2^53 (`what` names the source in the error). */
export function bigIntsToNumbers(values: BigInt64Array | BigUint64Array | ArrayLike<number>, what: string): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new Error(`${what}[${i}] = ${String(v)} is not an integer within ±2^53`);
    out[i] = n;
  }
  return out;
}

function toTyped(data: ZarrData | number[], where: string): ZarrData {
  if (!Array.isArray(data)) return data;
  const out = new BigInt64Array(data.length);
  data.forEach((v, i) => {
    if (!Number.isSafeInteger(v)) throw new Error(`${where}: int64 value [${i}] must be a safe integer, got ${v}`);
    out[i] = BigInt(v);
  });
  return out;
}

function dtypeOf(data: ZarrData, where: string): ZarrDtype {
  for (const [ctor, dtype] of DTYPE_OF) if (data instanceof ctor) return dtype;
  throw new Error(`${where}: unsupported array type ${(data as object).constructor.name}; expected Float32Array, Float64Array, BigInt64Array or Uint8Array`);
}

/** Writes `<root>/<group>/.zgroup` (and `.zattrs` when given). `group` '' is the root. */
export function writeZarrGroup(root: string, group: string, attrs?: Record<string, unknown>, opts: WriteOptions = {}): void {
  const dir = path.join(root, group);
  writeJson(path.join(dir, '.zgroup'), { zarr_format: 2 }, opts);
  if (attrs) writeZarrAttrs(root, group, attrs, opts);
}

/** Writes (replaces) the `.zattrs` of the group or array at `node`. */
export function writeZarrAttrs(root: string, node: string, attrs: Record<string, unknown>, opts: WriteOptions = {}): void {
  writeJson(path.join(root, node, '.zattrs'), attrs, opts);
}

/** Writes the array `<root>/<name>`: `.zarray` metadata, then chunks `0.0…`, `1.0…` along axis 0. */
export function writeZarrArray(root: string, name: string, input: ZarrArrayInput, opts: WriteOptions = {}): void {
  const where = `zarr array ${path.join(root, name)}`;
  const data = toTyped(input.data, where);
  const dtype = dtypeOf(data, where);
  const shape = input.shape;
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${where}: shape must be ≥ 1 non-negative integers, got [${shape.join(', ')}]`);
  }
  const rowSize = shape.slice(1).reduce((a, b) => a * b, 1);
  if (shape[0] * rowSize !== data.length) {
    throw new Error(`${where}: shape [${shape.join(', ')}] holds ${shape[0] * rowSize} values, got ${data.length}`);
  }
  const rowBytes = Math.max(1, rowSize * data.BYTES_PER_ELEMENT);
  const chunkLength = input.chunkLength ?? Math.max(1, shape[0] * rowBytes <= TARGET_CHUNK_BYTES ? shape[0] : Math.floor(TARGET_CHUNK_BYTES / rowBytes));
  if (!Number.isInteger(chunkLength) || chunkLength < 1) throw new Error(`${where}: chunkLength must be a positive integer, got ${chunkLength}`);
  const compressor = input.compressor ?? null;
  if (compressor && (compressor.id !== 'zlib' || !Number.isInteger(compressor.level) || compressor.level < 0 || compressor.level > 9)) {
    throw new Error(`${where}: compressor must be null or {id: 'zlib', level: 0…9}, got ${JSON.stringify(compressor)}`);
  }
  const dir = path.join(root, name);
  writeJson(path.join(dir, '.zarray'), {
    chunks: [chunkLength, ...shape.slice(1)],
    compressor,
    dimension_separator: '.',
    dtype,
    fill_value: 0,
    filters: null,
    order: 'C',
    shape,
    zarr_format: 2,
  }, opts);
  if (input.attrs) writeZarrAttrs(root, name, input.attrs, opts);

  const suffix = '.0'.repeat(shape.length - 1);
  const chunkValues = chunkLength * rowSize;
  for (let c = 0; c * chunkLength < shape[0]; c++) {
    const part = data.subarray(c * chunkValues, Math.min(data.length, (c + 1) * chunkValues));
    let bytes = new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
    if (part.length < chunkValues) {
      // v2 edge chunks are stored full-size; the tail is fill_value (0).
      const full = new Uint8Array(chunkValues * data.BYTES_PER_ELEMENT);
      full.set(bytes);
      bytes = full;
    }
    const file = path.join(dir, `${c}${suffix}`);
    writeFileAtomic(file, compressor ? deflateSync(bytes, { level: compressor.level }) : bytes);
    opts.onFileWritten?.(file);
  }
}

function writeJson(file: string, value: unknown, opts: WriteOptions): void {
  writeJsonAtomic(file, value);
  opts.onFileWritten?.(file);
}

/** Reads `.zattrs` of the group or array at `node` ({} when absent). */
export function readZarrAttrs(root: string, node = ''): Record<string, unknown> {
  const file = path.join(root, node, '.zattrs');
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`zarr store ${root}: ${path.join(node, '.zattrs')} is not valid JSON (${(e as Error).message})`);
  }
}

/** True when `<root>/<node>` holds `.zgroup`. */
export function isZarrGroup(root: string, node = ''): boolean {
  return existsSync(path.join(root, node, '.zgroup'));
}

/** Names of the arrays directly inside the group `<root>/<group>` (directories holding `.zarray`), sorted. */
export function listZarrArrays(root: string, group: string): string[] {
  const dir = path.join(root, group);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => statSync(path.join(dir, n)).isDirectory() && existsSync(path.join(dir, n, '.zarray')))
    .sort();
}

const EMPTY_OF: Record<string, new (n: number) => ZarrArrayRead['data']> = {
  float32: Float32Array, float64: Float64Array, int64: BigInt64Array, uint64: BigUint64Array, int32: Int32Array,
  uint32: Uint32Array, int16: Int16Array, uint16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
};

/** Reads a whole v2 array through zarrita; int64 comes back as BigInt64Array. */
export async function readZarrArray(root: string, name: string): Promise<ZarrArrayRead> {
  const store = new FileSystemStore(root);
  let arr;
  try {
    arr = await zarr.open.v2(zarr.root(store).resolve(name), { kind: 'array' });
  } catch (e) {
    throw new Error(`zarr store ${root}: cannot open array ${name} (${(e as Error).message})`);
  }
  if (arr.shape.includes(0)) {
    // zarrita's get cannot index an empty selection; an empty array needs no chunks anyway.
    const ctor = EMPTY_OF[arr.dtype];
    if (!ctor) throw new Error(`zarr store ${root}: array ${name} has dtype ${arr.dtype}; expected a numeric dtype`);
    return { dtype: arr.dtype, shape: [...arr.shape], data: new ctor(0) };
  }
  const chunk = await zarr.get(arr);
  const data = chunk.data;
  if (!ArrayBuffer.isView(data)) {
    throw new Error(`zarr store ${root}: array ${name} has dtype ${arr.dtype}; expected a numeric dtype`);
  }
  return { dtype: arr.dtype, shape: [...chunk.shape], data: data as ZarrArrayRead['data'] };
}
