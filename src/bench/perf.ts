/**
 * `npm run perf`: speed benchmarks, written to results/perf.json. Machines are noisy, so each figure is
 * the median of several repeats, and comparisons are made as ratios measured in the same run.
 *
 * - PushT-v0 control steps per second (state observations, one core; each step = 10 physics steps),
 *   under random actions (mostly free motion) and under a scripted pusher that stays in contact with the
 *   T (the expensive case). Target: ≥ 2,000 control steps/s.
 * - BlockStack-v0 control steps per second (state observations, one core; each step = 10 physics steps
 *   of the 3-D scene), under random actions and under the scripted expert's actions (recorded first, so
 *   the time is the env's alone: grasps, carries and stacks). Target: ≥ 500 control steps/s.
 * - Diffusion Policy: ms per training step (loss, gradients, AdamW) and per denoiser call at batch 1,
 *   for the configurations the PyTorch anchors (../shared/anchors) time, run side by side in the same
 *   process tree when Debian's python3-torch is installed (`--torch` installs it); ratio = ours / torch.
 *
 * - Renderer (src/bench/perf-render.ts): frames/s at 96 × 96 batched over 50 envs (target ≥ 1,000 on
 *   2 cores), and the time to recover from a killed browser.
 *
 * `npm run perf -- --only pusht|blockstack|dp|render` runs one group; `--backend` picks the tfjs backend (default auto).
 */
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { initBackend, type BackendChoice, type BackendInfo } from '../backend.ts';
import { diffusionBenchmarks, prepareTorch, torchAvailable } from './perf-dp.ts';
import { renderBenchmarks } from './perf-render.ts';
import { makeEnv } from '../../envs/index.ts';
import { RandomState } from '../../envs/core/numpy-random.ts';
import { BlockStackExpert } from '../../envs/block-stack/expert.ts';
import { envInfo, ROOT } from '../util/env-info.ts';
import { writeJsonAtomic } from '../util/fs.ts';

export interface Measurement {
  value: number;
  unit: string;
  /** Repeats the median was taken over. */
  repeats: number;
  target?: { min?: number; max?: number };
  meetsTarget?: boolean;
  note: string;
  [extra: string]: unknown;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Control steps per second of PushT-v0 under an action rule; resets are included in the time. */
function pushtStepsPerSecond(actionRule: 'random' | 'contact', steps: number): { rate: number; contactsPerStep: number } {
  const env = makeEnv('PushT-v0', { obsType: 'state' });
  const rs = new RandomState(0);
  const action = new Float64Array(2);
  let seed = 0;
  let contacts = 0;
  env.reset({ seed: seed++ });
  let t = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    if (actionRule === 'random') {
      action[0] = rs.uniform(0, 512);
      action[1] = rs.uniform(0, 512);
    } else {
      // Aim just behind the T's centre of gravity, wobbling: the disc keeps pushing the block.
      const s = env.getState();
      const c = Math.cos(s[4]);
      const sn = Math.sin(s[4]);
      action[0] = s[2] - sn * 45 + 20 * Math.sin(t / 4);
      action[1] = s[3] + c * 45 + 20 * Math.cos(t / 6);
    }
    const r = env.step(action);
    contacts += r.info.nContacts as number;
    t++;
    if (r.terminated || r.truncated) {
      env.reset({ seed: seed++ });
      t = 0;
    }
  }
  const rate = steps / ((performance.now() - t0) / 1000);
  env.close();
  return { rate, contactsPerStep: contacts / steps };
}

/** The scripted expert's actions on seeds 0, 1, … until `steps` actions: one flat array per episode. */
function blockstackExpertActions(steps: number): number[][] {
  const env = makeEnv('BlockStack-v0', { obsType: 'state' });
  const episodes: number[][] = [];
  for (let seed = 0, n = 0; n < steps; seed++) {
    env.reset({ seed });
    const expert = new BlockStackExpert(seed);
    expert.reset(env.getState());
    const actions: number[] = [];
    for (let t = 0; t < env.spec.maxEpisodeSteps && n < steps; t++, n++) {
      const a = expert.act(env.getState()).action;
      actions.push(...a);
      if (env.step(a).terminated) break;
    }
    episodes.push(actions);
  }
  env.close();
  return episodes;
}

/**
 * Control steps per second of BlockStack-v0 under uniform random actions, or replaying `recorded` expert
 * episodes from their seeds (the expert's planning is not timed). Resets included.
 */
function blockstackStepsPerSecond(recorded: number[][] | null, steps: number): { rate: number; placedPerStep: number } {
  const env = makeEnv('BlockStack-v0', { obsType: 'state' });
  const rs = new RandomState(0);
  const action = new Float64Array(5);
  const { low, high } = env.spec.actionSpace;
  let seed = 0;
  let placed = 0;
  let done = 0;
  const t0 = performance.now();
  while (done < steps) {
    env.reset({ seed });
    const episode = recorded?.[seed % recorded.length];
    seed++;
    for (let t = 0; done < steps; t++) {
      if (episode !== undefined) {
        if (5 * t >= episode.length) break;
        for (let d = 0; d < 5; d++) action[d] = episode[5 * t + d];
      } else {
        for (let d = 0; d < 5; d++) action[d] = rs.uniform(low[d], high[d]);
      }
      const r = env.step(action);
      done++;
      placed += r.info.nPlaced as number;
      if (r.terminated || r.truncated) break;
    }
  }
  const rate = steps / ((performance.now() - t0) / 1000);
  env.close();
  return { rate, placedPerStep: placed / steps };
}

/** Median rate of `repeats` runs of `fn`, and the median of its per-step statistic (`stat`: its key and unit). */
function measure<K extends string>(name: string, repeats: number, fn: () => { rate: number } & Record<K, number>, target: number, note: string, stat: { key: K; unit: string }): Measurement {
  fn(); // warm-up: wasm compilation and JIT
  const runs = Array.from({ length: repeats }, fn);
  const value = median(runs.map((r) => r.rate));
  const m: Measurement = {
    value: Math.round(value),
    unit: 'control steps/s',
    repeats,
    target: { min: target },
    meetsTarget: value >= target,
    note,
    runs: runs.map((r) => Math.round(r.rate)),
    [stat.key]: Math.round(median(runs.map((r) => r[stat.key])) * 100) / 100,
  };
  console.log(`${name}: ${m.value} ${m.unit} (median of ${repeats}; runs ${(m.runs as number[]).join(', ')}; ${m[stat.key]} ${stat.unit}) ${m.meetsTarget ? 'meets' : 'MISSES'} target >= ${target}`);
  return m;
}

const CONTACTS = { key: 'contactsPerStep', unit: 'contacts/step' } as const;
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const backendArg = (args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'auto') as BackendChoice;
const out = path.join(ROOT, 'results', 'perf.json');
// Keep the figures of groups not run this time (each group records when it was measured).
const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { benchmarks?: Record<string, Measurement> }).benchmarks ?? {} : {};
const benchmarks: Record<string, Measurement> = { ...previous };
const stamp = new Date().toISOString();

if (only === null || only === 'pusht') {
  const steps = Number(process.env.DPBENCH_PERF_STEPS ?? 3000);
  benchmarks['pusht.step.random_actions'] = { ...measure('pusht.step.random_actions', 5, () => pushtStepsPerSecond('random', steps), 2000, 'PushT-v0, state obs, uniform random targets, one core, resets included', CONTACTS), measured: stamp };
  benchmarks['pusht.step.pushing'] = { ...measure('pusht.step.pushing', 5, () => pushtStepsPerSecond('contact', steps), 2000, 'PushT-v0, state obs, a scripted pusher in contact with the T most steps, one core', CONTACTS), measured: stamp };
}
if (only === null || only === 'blockstack') {
  const steps = Number(process.env.DPBENCH_PERF_STEPS ?? 3000);
  const placed = { key: 'placedPerStep', unit: 'cubes placed/step' } as const;
  benchmarks['blockstack.step.random_actions'] = { ...measure('blockstack.step.random_actions', 5, () => blockstackStepsPerSecond(null, steps), 500, 'BlockStack-v0, state obs, uniform random actions, one core, resets included', placed), measured: stamp };
  const expert = blockstackExpertActions(steps);
  benchmarks['blockstack.step.expert'] = { ...measure('blockstack.step.expert', 5, () => blockstackStepsPerSecond(expert, steps), 500, "BlockStack-v0, state obs, the scripted expert's recorded actions (grasp, carry, stack), one core, resets included", placed), measured: stamp };
}
if (only === null || only === 'render') {
  for (const m of await renderBenchmarks()) benchmarks[m.name] = { ...m.measurement, measured: stamp };
}
let backend: BackendInfo | null = null;
if (only === null || only === 'dp') {
  backend = await initBackend(backendArg);
  const torch = (args.includes('--torch') || torchAvailable()) && prepareTorch(args.includes('--torch'));
  const workers = args.includes('--workers') ? Number(args[args.indexOf('--workers') + 1]) : undefined;
  for (const m of await diffusionBenchmarks(torch, backend.name, workers)) benchmarks[m.name] = { ...m.measurement, backend: backend.name, measured: stamp };
}

writeJsonAtomic(out, { generated: stamp, env_info: envInfo({ backend: backend ?? undefined }), benchmarks });
console.log(`wrote ${out}`);
