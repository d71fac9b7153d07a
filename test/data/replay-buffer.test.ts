import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../src/data/replay-buffer.ts';
import { dumpStore, pythonJson } from './python-zarr.ts';

const work = mkdtempSync(path.join(tmpdir(), 'dpbench-rb-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Episode e, step t: state[d] = 100e + t + d/10, action = (e, t), img = (e·16 + t) mod 256; all by construction. */
function episode(e: number, T: number) {
  const state = new Float32Array(T * 5), action = new Float32Array(T * 2), keypoint = new Float32Array(T * 9 * 2), img = new Uint8Array(T * 2 * 2);
  for (let t = 0; t < T; t++) {
    for (let d = 0; d < 5; d++) state[t * 5 + d] = 100 * e + t + d / 10;
    action.set([e, t], t * 2);
    for (let k = 0; k < 18; k++) keypoint[t * 18 + k] = -(100 * e + t) - k;
    img.fill((e * 16 + t) % 256, t * 4, t * 4 + 4);
  }
  return { state, action, keypoint: { data: keypoint, shape: [9, 2] }, img: { data: img, shape: [2, 2] } };
}

const LENGTHS = [3, 1, 6, 4];
function makeBuffer(lengths = LENGTHS, first = 0): ReplayBuffer {
  const rb = new ReplayBuffer({ state: [5], action: [2], keypoint: [9, 2], img: [2, 2] });
  lengths.forEach((T, e) => rb.addEpisode(episode(first + e, T), { seed: 1000 + first + e, mode: e % 2 ? 'right' : 'left' }));
  rb.attrs = { task: 'PushT-v0', cfgHash: 'abcd1234' };
  return rb;
}

describe('ReplayBuffer in memory', () => {
  it('concatenates episodes with cumulative episode ends, as replay_buffer.py', () => {
    const rb = makeBuffer();
    expect(rb.nEpisodes).toBe(4);
    expect(rb.nSteps).toBe(14);
    expect(rb.episodeEnds).toEqual([3, 4, 10, 14]);
    expect(rb.episodeSlice(2)).toEqual({ start: 4, end: 10 });
    const action = rb.get('action');
    expect(action.perStep).toEqual([2]);
    expect(action.data.length).toBe(28);
    expect(Array.from(action.data.subarray(4 * 2, 10 * 2))).toEqual([2, 0, 2, 1, 2, 2, 2, 3, 2, 4, 2, 5]);
    expect(rb.get('keypoint').perStep).toEqual([9, 2]);
    expect(Array.from(rb.getEpisode(1).img)).toEqual([16, 16, 16, 16]);
    expect(rb.getMeta('seed')).toEqual([1000, 1001, 1002, 1003]);
    expect(rb.getMeta('mode')).toEqual(['left', 'right', 'left', 'right']);
  });

  it('rejects malformed episodes without changing the buffer', () => {
    const rb = makeBuffer();
    const good = episode(9, 2);
    expect(() => rb.addEpisode({ ...good, action: new Float32Array(6) }, { seed: 1, mode: 'x' })).toThrow(/episode 4\).*'action' has 3.*'state' has 2/);
    expect(() => rb.addEpisode({ state: good.state }, { seed: 1, mode: 'x' })).toThrow(/keys must be \[state, action, keypoint, img\], got \[state\]/);
    expect(() => rb.addEpisode({ ...good, keypoint: { data: good.keypoint.data, shape: [18] } }, { seed: 1, mode: 'x' })).toThrow(/'keypoint' per-step shape must be \[9,2\], got \[18\]/);
    expect(() => rb.addEpisode({ ...good, state: new Float32Array(7) }, { seed: 1, mode: 'x' })).toThrow(/'state' has 7 values, not a multiple of its per-step size 5/);
    expect(() => rb.addEpisode({ ...good, img: { data: new Float32Array(8), shape: [2, 2] } }, { seed: 1, mode: 'x' })).toThrow(/'img' must be a Uint8Array like earlier episodes, got Float32Array/);
    expect(() => rb.addEpisode(good, { seed: 1 })).toThrow(/metadata keys must be \[seed, mode\]/);
    expect(() => rb.addEpisode(good, { seed: 'one', mode: 'x' })).toThrow(/metadata 'seed' must be a number like earlier episodes, got "one"/);
    expect(() => new ReplayBuffer().addEpisode({ x: new Float32Array(3) })).toThrow(/per-step shape of 'x' unknown/);
    expect(rb.nEpisodes).toBe(4);
    expect(rb.nSteps).toBe(14);
  });
});

describe('ReplayBuffer on disk', () => {
  it('saves a store that zarr-python reads in the original layout', () => {
    const dir = path.join(work, 'layout.zarr');
    const rb = makeBuffer();
    rb.save(dir, { compressor: { id: 'zlib', level: 3 }, chunkLength: 4 });
    const dump = dumpStore(dir);
    expect(dump.arrays['meta/episode_ends']).toMatchObject({ shape: [4], dtype: '<i8', values: [3, 4, 10, 14] });
    expect(dump.arrays['meta/episode_seeds']).toMatchObject({ dtype: '<i8', values: [1000, 1001, 1002, 1003] });
    expect(dump.meta_attrs).toEqual({ categories: { episode_modes: ['left', 'right'] } });
    expect(dump.arrays['meta/episode_modes'].values).toEqual([0, 1, 0, 1]);
    expect(dump.arrays['data/state']).toMatchObject({ shape: [14, 5], dtype: '<f4', chunks: [4, 5], compressor: 'zlib' });
    expect(dump.arrays['data/keypoint'].shape).toEqual([14, 9, 2]);
    expect(dump.arrays['data/img']).toMatchObject({ shape: [14, 2, 2], dtype: '|u1' });
    for (const key of ['state', 'action', 'keypoint', 'img']) {
      expect(dump.arrays[`data/${key}`].values, key).toEqual(Array.from(rb.get(key).data));
    }
    // Closed form: sum over episodes e, steps t, dims d of 100e + t + d/10.
    const stateSum = LENGTHS.reduce((s, T, e) => s + 5 * T * 100 * e + 5 * (T * (T - 1)) / 2 + T * 1.0, 0);
    expect(dump.arrays['data/state'].sum).toBeCloseTo(stateSum, 3);
    expect(dump.attrs).toMatchObject({ task: 'PushT-v0', cfgHash: 'abcd1234', dpbench: { complete: true, nEpisodes: 4, nSteps: 14 } });
  });

  it('loads what it saved: arrays, episode ends, metadata and attrs', async () => {
    const dir = path.join(work, 'roundtrip.zarr');
    const rb = makeBuffer();
    rb.save(dir);
    const back = await ReplayBuffer.load(dir);
    expect(back.episodeEnds).toEqual(rb.episodeEnds);
    expect(back.keys().sort()).toEqual(rb.keys().sort());
    for (const key of rb.keys()) {
      expect(back.get(key).perStep).toEqual(rb.get(key).perStep);
      expect(back.get(key).data).toEqual(rb.get(key).data);
    }
    expect(back.getMeta('seed')).toEqual([1000, 1001, 1002, 1003]);
    expect(back.getMeta('mode')).toEqual(['left', 'right', 'left', 'right']);
    expect(back.attrs).toEqual({ task: 'PushT-v0', cfgHash: 'abcd1234' });
    back.addEpisode(episode(7, 2), { seed: 7, mode: 'left' });
    expect(back.episodeEnds).toEqual([3, 4, 10, 14, 16]);
    const empty = path.join(work, 'empty.zarr');
    new ReplayBuffer({ action: [2] }).save(empty);
    expect((await ReplayBuffer.load(empty)).nEpisodes).toBe(0);
  });

  it('loads a store zarr-python writes in the original layout with its default Blosc compressor', async () => {
    const dir = path.join(work, 'original.zarr');
    const py = pythonJson<{ compressor: string; ends: number[]; action: number[]; state_sum: number; kp_first: number[]; img_sum: number }>(`
import sys, json, zarr, numpy as np
root = zarr.group(sys.argv[1])
ends = np.array([7, 9, 20], dtype=np.int64)
a = root.create_dataset('data/action', data=np.arange(40).reshape(-1, 2).astype('f4'), chunks=(7, 2))
s = root.create_dataset('data/state', data=np.linspace(0, 1, 100).reshape(20, 5), chunks=(6, 5))
k = root.create_dataset('data/keypoint', data=np.arange(360).reshape(20, 9, 2).astype('f4') / 3)
im = root.create_dataset('data/img', data=(np.arange(20 * 4 * 4 * 3) % 251).astype('u1').reshape(20, 4, 4, 3), chunks=(8, 4, 4, 3))
root.create_dataset('meta/episode_ends', data=ends)
print(json.dumps({'compressor': a.compressor.codec_id, 'ends': ends.tolist(), 'action': a[:].reshape(-1).tolist(),
  'state_sum': float(s[:].astype('f4').astype('f8').sum()), 'kp_first': k[0].reshape(-1).tolist(), 'img_sum': int(im[:].astype('i8').sum())}))
`, [dir]);
    expect(py.compressor).toBe('blosc');
    const rb = await ReplayBuffer.load(dir);
    expect(rb.episodeEnds).toEqual(py.ends);
    expect(Array.from(rb.get('action').data)).toEqual(py.action);
    expect(rb.get('state').data).toBeInstanceOf(Float32Array); // float64 on disk, float32 for training
    expect(Array.from(rb.get('state').data).reduce((a, b) => a + b, 0)).toBeCloseTo(py.state_sum, 4);
    expect(rb.get('keypoint').perStep).toEqual([9, 2]);
    expect(Array.from(rb.get('keypoint').data.subarray(0, 18))).toEqual(py.kp_first);
    expect(rb.get('img').perStep).toEqual([4, 4, 3]);
    expect(Array.from(rb.get('img').data).reduce((a, b) => a + b, 0)).toBe(py.img_sum);
    expect(rb.episodeSlice(1)).toEqual({ start: 7, end: 9 });
  });

  it('refuses inconsistent stores with errors naming the store, the array and the problem', async () => {
    const write = (name: string, ends: string, actionRows: number) => {
      const dir = path.join(work, name);
      pythonJson(`
import sys, zarr, numpy as np
root = zarr.group(sys.argv[1])
root.create_dataset('data/action', data=np.zeros((${actionRows}, 2), dtype='f4'))
root.create_dataset('meta/episode_ends', data=np.array(${ends}, dtype=np.int64))
print('null')
`, [dir]);
      return dir;
    };
    const shortData = write('short.zarr', '[5, 12]', 11);
    await expect(ReplayBuffer.load(shortData)).rejects.toThrow(`replay buffer ${shortData}: data/action has 11 steps (shape [11,2]), expected 12 = last of meta/episode_ends`);
    const decreasing = write('decreasing.zarr', '[5, 5, 12]', 12);
    await expect(ReplayBuffer.load(decreasing)).rejects.toThrow(`replay buffer ${decreasing}: meta/episode_ends must be strictly increasing from 0 (episodes of ≥ 1 step); [1] = 5 after 5`);
    const zeroFirst = write('zero.zarr', '[0, 12]', 12);
    await expect(ReplayBuffer.load(zeroFirst)).rejects.toThrow(/\[0\] = 0 after 0/);
    await expect(ReplayBuffer.load(path.join(work, 'nope.zarr'))).rejects.toThrow(/nope.zarr: no such directory/);
  });
});

describe('ReplayBuffer.save is atomic', () => {
  const filesInSave = (() => {
    let n = 0;
    makeBuffer().save(path.join(work, 'count.zarr'), { onFileWritten: () => void n++ });
    return n;
  })();
  const crash = (after: number) => {
    let n = 0;
    return { onFileWritten: () => { if (++n === after) throw new Error(`simulated crash after ${after} files`); } };
  };

  it('a save that fails part-way leaves no store, and no temp directory, at a new target', async () => {
    const dir = path.join(work, 'fresh', 'replay.zarr');
    for (const after of [1, 5, filesInSave - 1, filesInSave]) {
      expect(() => makeBuffer().save(dir, crash(after))).toThrow(`simulated crash after ${after} files`);
      expect(existsSync(dir)).toBe(false);
      expect(readdirSync(path.dirname(dir))).toEqual([]);
    }
    await expect(ReplayBuffer.load(dir)).rejects.toThrow(/no such directory/);
  });

  it('a save that fails part-way leaves the previous complete store intact', async () => {
    const dir = path.join(work, 'previous.zarr');
    makeBuffer([2, 2]).save(dir);
    for (const after of [2, Math.floor(filesInSave / 2), filesInSave]) {
      expect(() => makeBuffer([5, 6, 7], 10).save(dir, crash(after))).toThrow(/simulated crash/);
      const back = await ReplayBuffer.load(dir);
      expect(back.episodeEnds).toEqual([2, 4]);
      expect(Array.from(back.get('action').data)).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
    }
    makeBuffer([5, 6, 7], 10).save(dir);
    expect((await ReplayBuffer.load(dir)).episodeEnds).toEqual([5, 11, 18]);
    expect(readdirSync(work).filter((n) => n.startsWith('previous.zarr'))).toEqual(['previous.zarr']);
  });

  it('a process killed (SIGKILL) mid-save leaves the old store and a temp directory that refuses to load', async () => {
    const dir = path.join(work, 'killed.zarr');
    makeBuffer([2, 2]).save(dir);
    const script = path.join(work, 'kill-mid-save.mts'); // .mts: an ES module outside the package, as zarrita requires
    writeFileSync(script, `
import { ReplayBuffer } from ${JSON.stringify(pathToFileURL(path.join(REPO, 'src/data/replay-buffer.ts')).href)};
const rb = new ReplayBuffer({ action: [2], state: [5] });
for (let e = 0; e < 3; e++) rb.addEpisode({ action: new Float32Array(10), state: new Float32Array(25) }, { seed: e });
let n = 0;
rb.save(process.argv[2], { onFileWritten: () => { if (++n === Number(process.argv[3])) process.kill(process.pid, 'SIGKILL'); } });
`);
    for (const after of [1, 2, 4, 9, 12]) { // the script's save writes 13 files
      const child = spawnSync(process.execPath, ['--import', 'tsx', script, dir, String(after)], { cwd: REPO, encoding: 'utf8' });
      // Stack lines stripped: vitest would try to source-map the child's frames.
      expect(child.signal, child.stderr.replace(/^\s+at .*$/gm, '')).toBe('SIGKILL');
      const tmp = `${dir}.tmp-${child.pid}`;
      expect(existsSync(tmp)).toBe(true);
      await expect(ReplayBuffer.load(tmp)).rejects.toThrow(/incomplete store|not a Zarr v2 group/);
      rmSync(tmp, { recursive: true });
      expect((await ReplayBuffer.load(dir)).episodeEnds).toEqual([2, 4]);
    }
  });
});
