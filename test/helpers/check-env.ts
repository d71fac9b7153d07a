/**
 * Gymnasium-style env checker (gymnasium/utils/env_checker.py), reused by every task's tests: spaces,
 * reset and step determinism, the getState/reset({state}) round trip, bad inputs that must throw and
 * change nothing, and the end-of-episode contract. Throws an AssertionError naming the failed check.
 */
import assert from 'node:assert/strict';
import { makeEnv } from '../../envs/index.ts';
import type { Env, Obs, StepResult } from '../../envs/core/types.ts';

export interface CheckEnvOptions {
  /** Options passed to makeEnv. */
  options?: Record<string, unknown>;
  /** Seeds to reset with. */
  seeds?: number[];
  /** Steps per determinism rollout. */
  steps?: number;
  /** Action generator for step `t` of a rollout from `seed`; defaults to uniform samples of the action space. */
  action?: (env: Env, t: number, seed: number) => Float32Array;
}

export function checkEnv(id: string, opts: CheckEnvOptions = {}): void {
  const seeds = opts.seeds ?? [0, 1, 100000];
  const steps = opts.steps ?? 20;
  const a = makeEnv(id, { ...opts.options });
  const b = makeEnv(id, { ...opts.options });
  try {
    checkSpec(a);
    const action = opts.action ?? uniformActions();
    for (const seed of seeds) {
      // reset determinism
      const r1 = a.reset({ seed });
      const r2 = b.reset({ seed });
      assertObsEqual(r1.obs, r2.obs, `reset({seed: ${seed}}) twice gives different observations`);
      assertInSpace(a, r1.obs, `reset({seed: ${seed}})`);
      // step determinism and the state round trip at the midpoint
      let mid: number[] | null = null;
      const tail: StepResult[] = [];
      for (let t = 0; t < steps; t++) {
        const act = action(a, t, seed);
        const s1 = a.step(act);
        const s2 = b.step(act);
        assertObsEqual(s1.obs, s2.obs, `seed ${seed}, step ${t}: same actions gave different observations`);
        assert.equal(s1.reward, s2.reward, `seed ${seed}, step ${t}: rewards differ`);
        assert.deepEqual(s1.info, s2.info, `seed ${seed}, step ${t}: infos differ`);
        assertInSpace(a, s1.obs, `seed ${seed}, step ${t}`);
        assert.ok(Number.isFinite(s1.reward), `seed ${seed}, step ${t}: reward ${s1.reward} is not finite`);
        if (t === Math.floor(steps / 2)) mid = a.getState();
        if (mid !== null && t > Math.floor(steps / 2)) tail.push(s1);
        if (s1.terminated || s1.truncated) break;
      }
      if (mid !== null) {
        b.reset({ state: mid });
        assert.deepEqual(b.getState(), mid, `seed ${seed}: reset({state: getState()}) does not round-trip`);
      }
    }
    checkBadInputs(a, seeds[0]);
  } finally {
    a.close();
    b.close();
  }
}

function checkSpec(env: Env): void {
  const { spec } = env;
  assert.match(spec.id, /^[A-Za-z][A-Za-z0-9]*-v\d+$/, `spec.id ${spec.id} is not a versioned id`);
  assert.ok(spec.actionSpace.size > 0, 'action space is empty');
  assert.ok(Number.isInteger(spec.maxEpisodeSteps) && spec.maxEpisodeSteps > 0, 'maxEpisodeSteps must be a positive integer');
  assert.ok(spec.controlHz > 0, 'controlHz must be positive');
  for (let i = 0; i < spec.actionSpace.size; i++) {
    assert.ok(Number.isFinite(spec.actionSpace.low[i]) && Number.isFinite(spec.actionSpace.high[i]), `action dim ${i} is unbounded`);
  }
}

function uniformActions(): (env: Env, t: number, seed: number) => Float32Array {
  let state = 12345;
  const uniform = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  return (env) => env.spec.actionSpace.sample(uniform);
}

function assertObsEqual(x: Obs, y: Obs, msg: string): void {
  if (ArrayBuffer.isView(x) && ArrayBuffer.isView(y)) {
    assert.deepEqual(Array.from(x), Array.from(y), msg);
    return;
  }
  assert.deepEqual(Object.keys(x).sort(), Object.keys(y).sort(), msg);
  for (const k of Object.keys(x)) {
    assert.deepEqual(Array.from((x as Record<string, ArrayLike<number>>)[k]), Array.from((y as Record<string, ArrayLike<number>>)[k]), `${msg} (key ${k})`);
  }
}

function assertInSpace(env: Env, obs: Obs, where: string): void {
  if (!ArrayBuffer.isView(obs)) return; // dict observations are checked by their task's tests
  assert.ok(env.spec.observationSpace.contains(obs), `${where}: observation ${Array.from(obs)} is outside the observation space`);
}

/** Each bad input must throw an error naming the env and leave the state untouched. */
function checkBadInputs(env: Env, seed: number): void {
  env.reset({ seed });
  const id = env.spec.id;
  const n = env.spec.actionSpace.size;
  const before = env.getState();
  const bad: Array<[string, () => unknown]> = [
    ['an action of the wrong length', () => env.step(new Float32Array(n + 1))],
    ['an empty action', () => env.step([])],
    ['a NaN action', () => env.step(Array.from({ length: n }, (_, i) => (i === 0 ? NaN : 0)))],
    ['an infinite action', () => env.step(Array.from({ length: n }, (_, i) => (i === n - 1 ? Infinity : 0)))],
    ['a negative seed', () => env.reset({ seed: -1 })],
    ['a fractional seed', () => env.reset({ seed: 1.5 })],
    ['a string seed', () => env.reset({ seed: '3' as unknown as number })],
    ['a malformed state', () => env.reset({ state: [1, 2] })],
    ['a state with NaN', () => env.reset({ state: before.map((v, i) => (i === 0 ? NaN : v)) })],
  ];
  for (const [what, fn] of bad) {
    assert.throws(fn, (e: unknown) => e instanceof Error && e.message.startsWith(`${id}:`), `${what} did not throw an error naming ${id}`);
    assert.deepEqual(env.getState(), before, `${what} changed the env's state`);
  }
  // The end of an episode: stepping past truncation is an error.
  const short = makeEnv(id, { maxEpisodeSteps: 1 });
  try {
    short.reset({ seed });
    const lo = Array.from(short.spec.actionSpace.low);
    const r = short.step(lo);
    assert.ok(r.terminated || r.truncated, 'maxEpisodeSteps: 1 did not end the episode after one step');
    assert.throws(() => short.step(lo), /reset\(\)/, 'stepping an ended episode did not throw');
    short.reset({ seed });
    short.step(lo); // a reset starts a new episode
  } finally {
    short.close();
  }
  env.close();
  assert.throws(() => env.reset({ seed }), /closed/, 'a closed env can still be reset');
}
