import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bigIntsToNumbers, listZarrArrays, readZarrArray, readZarrAttrs, writeZarrArray, writeZarrGroup, type ZarrArrayInput,
} from '../../src/data/zarr-v2.ts';
import { dumpStore, pythonJson } from './python-zarr.ts';

const work = mkdtempSync(path.join(tmpdir(), 'dpbench-zarr-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Values from closed-form expressions; Float32Array rounds them, and Number(f32) is exact in JSON/float64.
const f4 = Float32Array.from({ length: 23 * 9 * 2 }, (_, i) => Math.sin(i) * 100);
const f8 = Float64Array.from({ length: 11 * 3 }, (_, i) => Math.sqrt(i) - 2.5);
const i8 = [0, 1, -7, 2 ** 40, -(2 ** 53) + 1, 2 ** 53 - 1, 12];
const u1 = Uint8Array.from({ length: 10 * 4 * 3 }, (_, i) => (i * 37) % 256);

const arrays: Record<string, ZarrArrayInput> = {
  'data/keypoint': { data: f4, shape: [23, 9, 2], chunkLength: 5 }, // 5 chunks, last one partial
  'data/state': { data: f8, shape: [11, 3], compressor: { id: 'zlib', level: 5 }, chunkLength: 4 },
  'data/img': { data: u1, shape: [10, 4, 3] },
  'meta/episode_ends': { data: i8, shape: [7] },
  'meta/empty': { data: new Float32Array(0), shape: [0, 2] },
};

function writeStore(dir: string): void {
  writeZarrGroup(dir, '', { note: 'hand-written' });
  writeZarrGroup(dir, 'data');
  writeZarrGroup(dir, 'meta');
  for (const [name, input] of Object.entries(arrays)) writeZarrArray(dir, name, input);
}

const expectedValues = (input: ZarrArrayInput): number[] => Array.from(input.data as ArrayLike<number>, Number);

describe('zarr-v2 writer', () => {
  const dir = path.join(work, 'ours.zarr');
  writeStore(dir);

  it('writes v2 metadata and axis-0 chunk files named as zarr-python names them', () => {
    const meta = JSON.parse(readFileSync(path.join(dir, 'data/keypoint/.zarray'), 'utf8'));
    expect(meta).toEqual({
      chunks: [5, 9, 2], compressor: null, dimension_separator: '.', dtype: '<f4', fill_value: 0, filters: null,
      order: 'C', shape: [23, 9, 2], zarr_format: 2,
    });
    expect(readdirSync(path.join(dir, 'data/keypoint')).sort()).toEqual(['.zarray', '0.0.0', '1.0.0', '2.0.0', '3.0.0', '4.0.0']);
    expect(readdirSync(path.join(dir, 'meta/empty'))).toEqual(['.zarray']);
    expect(JSON.parse(readFileSync(path.join(dir, '.zgroup'), 'utf8'))).toEqual({ zarr_format: 2 });
    expect(readZarrAttrs(dir)).toEqual({ note: 'hand-written' });
    expect(listZarrArrays(dir, 'data')).toEqual(['img', 'keypoint', 'state']);
  });

  it('round-trips through zarrita', async () => {
    for (const [name, input] of Object.entries(arrays)) {
      const back = await readZarrArray(dir, name);
      expect(back.shape, name).toEqual(input.shape);
      const values = back.data instanceof BigInt64Array ? bigIntsToNumbers(back.data, name) : Array.from(back.data as ArrayLike<number>);
      expect(values, name).toEqual(expectedValues(input));
    }
    expect((await readZarrArray(dir, 'meta/episode_ends')).dtype).toBe('int64');
  });

  it('is read by zarr-python 2.x with the dtypes, chunks and values written', () => {
    const dump = dumpStore(dir);
    expect(dump.attrs).toEqual({ note: 'hand-written' });
    const dtypes: Record<string, string> = { 'data/keypoint': '<f4', 'data/state': '<f8', 'data/img': '|u1', 'meta/episode_ends': '<i8', 'meta/empty': '<f4' };
    expect(Object.keys(dump.arrays).sort()).toEqual(Object.keys(arrays).sort());
    for (const [name, input] of Object.entries(arrays)) {
      const a = dump.arrays[name];
      expect(a.shape, name).toEqual(input.shape);
      expect(a.dtype, name).toBe(dtypes[name]);
      expect(a.values, name).toEqual(expectedValues(input));
    }
    expect(dump.arrays['data/state'].compressor).toBe('zlib');
    expect(dump.arrays['data/state'].chunks).toEqual([4, 3]);
  });

  it('reads stores zarr-python writes with its default Blosc(lz4) compressor', async () => {
    const py = path.join(work, 'python.zarr');
    const printed = pythonJson<{ compressor: string; cname: string; action: number[]; ends: number[]; img: number[] }>(`
import sys, json, zarr, numpy as np
root = zarr.group(sys.argv[1])
a = root.create_dataset('data/action', data=np.arange(40).reshape(-1, 2).astype('f4') * 0.5, chunks=(7, 2))
img = root.create_dataset('data/img', data=(np.arange(20 * 3 * 2) * 7 % 256).astype('u1').reshape(20, 3, 2))
e = root.create_dataset('meta/episode_ends', data=np.array([5, 12, 20], dtype='i8'))
print(json.dumps({'compressor': a.compressor.codec_id, 'cname': a.compressor.cname, 'action': a[:].reshape(-1).tolist(),
                  'ends': e[:].tolist(), 'img': img[:].reshape(-1).tolist()}))
`, [py]);
    expect([printed.compressor, printed.cname]).toEqual(['blosc', 'lz4']);
    const action = await readZarrArray(py, 'data/action');
    expect(action.shape).toEqual([20, 2]);
    expect(Array.from(action.data as Float32Array)).toEqual(printed.action);
    expect(Array.from((await readZarrArray(py, 'data/img')).data as Uint8Array)).toEqual(printed.img);
    const ends = await readZarrArray(py, 'meta/episode_ends');
    expect(bigIntsToNumbers(ends.data as BigInt64Array, 'ends')).toEqual(printed.ends);
  });

  it('rejects bad input and out-of-range int64 with messages naming them', () => {
    expect(() => writeZarrArray(work, 'bad', { data: new Float32Array(5), shape: [2, 2] })).toThrow(/bad: shape \[2, 2\] holds 4 values, got 5/);
    expect(() => writeZarrArray(work, 'bad', { data: [1.5], shape: [1] })).toThrow(/int64 value \[0\] must be a safe integer, got 1.5/);
    expect(() => writeZarrArray(work, 'bad', { data: new Int32Array(2) as never, shape: [2] })).toThrow(/unsupported array type Int32Array/);
    expect(() => bigIntsToNumbers(BigInt64Array.of(1n, 2n ** 60n), 'meta/episode_ends')).toThrow(/meta\/episode_ends\[1\] = 1152921504606846976 is not an integer within ±2\^53/);
  });
});
