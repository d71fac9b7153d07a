/**
 * What a bench profile runs on each of its tasks (the rules are in src/bench/profiles.ts' header): the
 * baseline rows, and the trained entries with the task's overrides merged in. `checkProfile` applies them to
 * every task before anything runs, so a misnamed policy fails at once, not after an hour of training.
 */
import { isPixelObsType } from '../../envs/core/camera.ts';
import { policyIds, policyRegistration } from '../../policies/index.ts';
import type { BenchProfile, PolicyEntry, TaskEntry, TrainedEntry } from './profiles.ts';

const where = (p: BenchProfile, task: TaskEntry) => `bench profile ${p.name}, task ${task.env} (${task.obsType})`;

/** Whether a policy can see this task's observations: image tasks need an image encoder (MLP-BC has none). */
function sees(task: TaskEntry, policyId: string): boolean {
  return !isPixelObsType(task.obsType) || policyRegistration(policyId).imageEncoder === true;
}

/**
 * The rows of one task, in the order of the profile's `policies`: the baselines (left out on an image task
 * whose env a low-dim task of the profile already scores them on), then each trained entry the task runs,
 * with its overrides merged in.
 */
export function taskEntries(p: BenchProfile, task: TaskEntry): PolicyEntry[] {
  const trained = p.policies.filter((e): e is TrainedEntry => e.kind === 'trained');
  const ids = trained.map((e) => e.policy.id);
  if (task.trained) {
    if (new Set(ids).size !== ids.length) throw new Error(`${where(p, task)}: \`trained\` picks entries by policy id, but the profile trains ${ids.join(', ')} (an id twice)`);
    for (const [id, o] of Object.entries(task.trained)) {
      if (!ids.includes(id as TrainedEntry['policy']['id'])) throw new Error(`${where(p, task)}: \`trained\` names ${JSON.stringify(id)}, which the profile does not train; its trained entries: ${ids.join(', ')}`);
      if (o?.policy && 'id' in o.policy) throw new Error(`${where(p, task)}: the override of ${id} sets policy.id (${JSON.stringify(o.policy.id)}); an override changes an entry, it cannot replace its policy`);
      if (!sees(task, id)) {
        const withEncoder = policyIds().filter((x) => policyRegistration(x).imageEncoder);
        throw new Error(`${where(p, task)}: ${id} has no image encoder and cannot run on ${task.obsType}; image tasks run ${withEncoder.join(', ')}`);
      }
    }
  }
  const baselinesElsewhere = isPixelObsType(task.obsType) && p.tasks.some((t) => t.env === task.env && !isPixelObsType(t.obsType));
  return p.policies.flatMap((e): PolicyEntry[] => {
    if (e.kind !== 'trained') return baselinesElsewhere ? [] : [e];
    if (!task.trained) return sees(task, e.policy.id) ? [e] : [];
    const o = task.trained[e.policy.id];
    if (!o) return [];
    return [o.policy || o.train ? { kind: 'trained', policy: mergeOver(e.policy, o.policy), train: mergeOver(e.train, o.train) } : e];
  });
}

/** Checks every task's schedule, and what the leaderboard needs of the tasks: one (env, obs) each, one demo count per env. */
export function checkProfile(p: BenchProfile): void {
  const seen = new Set<string>();
  const demos = new Map<string, number>();
  for (const task of p.tasks) {
    const key = `${task.env} (${task.obsType})`;
    if (seen.has(key)) throw new Error(`bench profile ${p.name}: two tasks ${key}; their rows would share one leaderboard key`);
    seen.add(key);
    const n = task.demos ?? p.demos;
    const other = demos.get(task.env);
    if (other !== undefined && other !== n) throw new Error(`bench profile ${p.name}: tasks on ${task.env} use ${other} and ${n} demonstrations; they must agree (the leaderboard holds one demonstration histogram per env)`);
    demos.set(task.env, n);
    taskEntries(p, task);
  }
}

type Plain = Record<string, unknown>;
const isPlain = (x: unknown): x is Plain => x !== null && typeof x === 'object' && !Array.isArray(x);

/** `over` merged over `base`: plain objects field by field, anything else (arrays included) replaced; `base` when there is no `over`. */
export function mergeOver<T extends Plain>(base: T, over: Plain | undefined): T {
  if (!over) return base;
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlain(v) && isPlain(out[k]) ? mergeOver(out[k] as Plain, v) : v;
  return out as T;
}
