/**
 * `npm run perf`: speed benchmarks, written to results/perf.json. Machines are noisy, so each figure is
 * the median of several repeats, and comparisons are made as ratios measured in the same run.
 *
 * Today: PushT-v0 control steps per second (state observations, one core; each step = 10 physics
 * steps), under random actions (mostly free motion) and under a scripted pusher that stays in contact
 * with the T (the expensive case). Target (issue 3): ≥ 2,000 control steps/s.
 */
import path from 'node:path';
import { makeEnv } from '../../envs/index.ts';
import { RandomState } from '../../envs/core/numpy-random.ts';
import { envInfo, ROOT } from '../util/env-info.ts';
import { writeJsonAtomic } from '../util/fs.ts';

interface Measurement {
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

function measure(name: string, repeats: number, fn: () => { rate: number; contactsPerStep: number }, target: number, note: string): Measurement {
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
    contactsPerStep: Math.round(median(runs.map((r) => r.contactsPerStep)) * 100) / 100,
  };
  console.log(`${name}: ${m.value} ${m.unit} (median of ${repeats}; runs ${(m.runs as number[]).join(', ')}; ${m.contactsPerStep} contacts/step) ${m.meetsTarget ? 'meets' : 'MISSES'} target >= ${target}`);
  return m;
}

const steps = Number(process.env.DPBENCH_PERF_STEPS ?? 3000);
const benchmarks: Record<string, Measurement> = {
  'pusht.step.random_actions': measure('pusht.step.random_actions', 5, () => pushtStepsPerSecond('random', steps), 2000, 'PushT-v0, state obs, uniform random targets, one core, resets included'),
  'pusht.step.pushing': measure('pusht.step.pushing', 5, () => pushtStepsPerSecond('contact', steps), 2000, 'PushT-v0, state obs, a scripted pusher in contact with the T most steps, one core'),
};

const out = path.join(ROOT, 'results', 'perf.json');
writeJsonAtomic(out, { generated: new Date().toISOString(), env_info: envInfo(), benchmarks });
console.log(`wrote ${out}`);
