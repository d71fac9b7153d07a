/**
 * Renderer benchmarks for `npm run perf -- --only render`: frames per second of the batched renderer at
 * 96 × 96 over 50 envs (one `render` call per control step of a 50-env rollout: tiles, one readback, the
 * transfer to Node and the decoding included), on frames of real PushT-v0 episodes under random actions;
 * the same for BlockStack-v0 (lit, perspective; no target); and how long a crashed browser costs: kill
 * Chromium, then time the next render (relaunch, page load, scene rebuilt, the batch rendered).
 */
import os from 'node:os';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { makeEnv } from '../../envs/index.ts';
import { RandomState } from '../../envs/core/numpy-random.ts';
import type { SceneFrame } from '../../envs/core/types.ts';
import { Renderer } from '../render/renderer.ts';
import { sceneFor } from '../render/scenes.ts';
import type { Measurement } from './perf.ts';

const ENVS = 50;
const SIZE = { width: 96, height: 96 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `steps` batches of the frames of `ENVS` envs stepping under uniform random actions (resets when done). */
function rolloutFrames(envId: string, steps: number): SceneFrame[][] {
  const rs = new RandomState(0);
  const envs = Array.from({ length: ENVS }, (_, i) => {
    const e = makeEnv(envId);
    e.reset({ seed: 100000 + i });
    return e;
  });
  const { low, high } = envs[0].spec.actionSpace;
  const action = new Float64Array(low.length);
  const batches: SceneFrame[][] = [];
  for (let t = 0; t < steps; t++) {
    batches.push(envs.map((e, i) => {
      for (let d = 0; d < action.length; d++) action[d] = rs.uniform(low[d], high[d]);
      const r = e.step(action);
      if (r.terminated || r.truncated) e.reset({ seed: 200000 + 1000 * t + i });
      return e.frame();
    }));
  }
  for (const e of envs) e.close();
  return batches;
}

/** CPU time (ms) used so far by process `pid` and its descendants, from /proc; null where there is none. */
function treeCpuMs(pid: number): number | null {
  if (!existsSync('/proc/self/stat')) return null;
  const tick = 10; // USER_HZ = 100 on Linux
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) * tick);
      const ppid = Number(f[1]);
      (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  for (const stack = [pid]; stack.length; ) {
    const p = stack.pop()!;
    total += cpu.get(p) ?? 0;
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

async function framesPerSecond(r: Renderer, envId: string, batches: SceneFrame[][], repeats: number, target: number | null): Promise<Measurement> {
  const scene = sceneFor(envId);
  // Into one reused buffer, as PixelRenderer renders a rollout's observations.
  const out = new Uint8Array(ENVS * SIZE.width * SIZE.height * 3);
  for (const b of batches.slice(0, 3)) await r.render(scene, b, SIZE, out); // warm-up: scene build, shader compilation
  const runs: number[] = [];
  const pid = r.browserProcess?.pid;
  const chromium0 = pid ? treeCpuMs(pid) : null;
  const node0 = process.cpuUsage();
  for (let k = 0; k < repeats; k++) {
    const t0 = performance.now();
    for (const b of batches) await r.render(scene, b, SIZE, out);
    runs.push((ENVS * batches.length) / ((performance.now() - t0) / 1000));
  }
  const calls = repeats * batches.length;
  const chromium1 = pid ? treeCpuMs(pid) : null;
  const node = process.cpuUsage(node0);
  // CPU per batch, all threads: what the batch costs whatever else the machine runs.
  const cpuMsPerBatch = {
    chromium: chromium0 !== null && chromium1 !== null ? Math.round((10 * (chromium1 - chromium0)) / calls) / 10 : null,
    node: Math.round((node.user + node.system) / 100 / calls) / 10,
  };
  const value = median(runs);
  const m: Measurement = {
    value: Math.round(value),
    unit: 'frames/s',
    repeats,
    ...(target !== null ? { target: { min: target }, meetsTarget: value >= target } : {}),
    note: `${envId} frames of ${ENVS} envs under random actions, ${SIZE.width}×${SIZE.height} RGB, one render call (one readback) per batch of ${ENVS}; ${batches.length} batches per run; ${os.cpus().length} CPU cores`,
    msPerBatch: Math.round((1000 * ENVS * 100) / value) / 100,
    cpuMsPerBatch,
    loadAverage: Math.round(os.loadavg()[0] * 10) / 10,
    runs: runs.map(Math.round),
  };
  console.log(`render.${envId}: ${m.value} frames/s = ${m.msPerBatch} ms per batch of ${ENVS} (median of ${repeats}; runs ${runs.map(Math.round).join(', ')}; CPU per batch: Chromium ${cpuMsPerBatch.chromium} ms, Node ${cpuMsPerBatch.node} ms; load average ${m.loadAverage})${target !== null ? ` ${m.meetsTarget ? 'meets' : 'MISSES'} target >= ${target}` : ''}`);
  return m;
}

export async function renderBenchmarks(): Promise<Array<{ name: string; measurement: Measurement }>> {
  const t0 = performance.now();
  const r = await Renderer.launch();
  const launchMs = performance.now() - t0;
  try {
    const info = await r.info();
    const out: Array<{ name: string; measurement: Measurement }> = [];
    const pusht = rolloutFrames('PushT-v0', 20);
    out.push({ name: 'render.pusht.96px_x50', measurement: { ...(await framesPerSecond(r, 'PushT-v0', pusht, 5, 1000)), webgl: info.webgl } });
    const blocks = rolloutFrames('BlockStack-v0', 5);
    out.push({ name: 'render.blockstack.96px_x50', measurement: { ...(await framesPerSecond(r, 'BlockStack-v0', blocks, 3, null)), webgl: info.webgl } });
    // Crash recovery: SIGKILL the browser, then the next batch pays for the relaunch.
    const recover: number[] = [];
    const scene = sceneFor('PushT-v0');
    for (let k = 0; k < 3; k++) {
      r.browserProcess!.kill('SIGKILL');
      const t = performance.now();
      await r.render(scene, pusht[k], SIZE);
      recover.push(performance.now() - t);
    }
    const rec: Measurement = {
      value: Math.round(median(recover)),
      unit: 'ms',
      repeats: 3,
      note: `Chromium killed (SIGKILL), then one batch of ${ENVS} PushT-v0 frames at 96×96: relaunch, page load, scene rebuilt, render; first launch took ${Math.round(launchMs)} ms`,
      runs: recover.map(Math.round),
      restarts: r.restarts,
    };
    console.log(`render.crash_recovery: ${rec.value} ms (median of 3; runs ${(rec.runs as number[]).join(', ')}); first launch ${Math.round(launchMs)} ms`);
    out.push({ name: 'render.crash_recovery', measurement: rec });
    return out;
  } finally {
    await r.close();
  }
}
