import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from '../../src/train/safetensors.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'dpbench-st-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('safetensors', () => {
  const tensors = new Map([
    ['w', { data: Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 3), shape: [3, 4] }],
    ['b', { data: new Float32Array([1e-7, -2, 3.25]), shape: [3] }],
    ['n', { data: new Int32Array([7, -9]), shape: [2] }],
  ]);

  it('round-trips through a file (values, shapes, dtypes, metadata)', () => {
    const file = path.join(tmp, 'a.safetensors');
    saveSafetensors(file, tensors, { step: '42' });
    const { tensors: back, metadata } = loadSafetensors(file);
    expect(metadata).toEqual({ step: '42' });
    for (const [k, t] of tensors) {
      expect(back.get(k)!.shape).toEqual(t.shape);
      expect(Array.from(back.get(k)!.data)).toEqual(Array.from(t.data));
      expect(back.get(k)!.data.constructor).toBe(t.data.constructor);
    }
  });

  it('writes the layout the format specifies (read back by an independent parser in Python)', () => {
    const file = path.join(tmp, 'b.safetensors');
    saveSafetensors(file, tensors);
    const py = `
import json, struct, sys, array
f = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', f[:8])[0]
h = json.loads(f[8:8 + n])
out = {}
for k, v in h.items():
    if k == '__metadata__': continue
    b, e = v['data_offsets']
    a = array.array('f' if v['dtype'] == 'F32' else 'i'); a.frombytes(f[8 + n + b:8 + n + e])
    out[k] = {'shape': v['shape'], 'dtype': v['dtype'], 'values': list(a)}
print(json.dumps({'aligned': (8 + n) % 8 == 0, 'tensors': out}))`;
    const r = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, file], { encoding: 'utf8' })) as { aligned: boolean; tensors: Record<string, { shape: number[]; dtype: string; values: number[] }> };
    expect(r.aligned).toBe(true);
    expect(r.tensors.w.dtype).toBe('F32');
    expect(r.tensors.n.dtype).toBe('I32');
    expect(r.tensors.w.shape).toEqual([3, 4]);
    expect(r.tensors.b.values.map((v) => Math.fround(v))).toEqual(Array.from(tensors.get('b')!.data));
    expect(r.tensors.n.values).toEqual([7, -9]);
  });

  it('rejects a shape that does not match the data, and truncated files', () => {
    expect(() => encodeSafetensors(new Map([['x', { data: new Float32Array(5), shape: [2, 3] }]]))).toThrow('safetensors: x has shape [2,3] (6 values) but 5 values');
    const bytes = encodeSafetensors(tensors);
    expect(() => decodeSafetensors(bytes.subarray(0, 12), 'f.safetensors')).toThrow(/f.safetensors: header length \d+ exceeds the file/);
  });
});
