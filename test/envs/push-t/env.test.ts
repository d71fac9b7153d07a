import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeEnv, PushTEnv } from '../../../envs/index.ts';
import { readFixture, type PushTCoverageCase, type PushTResetCase } from '../../helpers/fixtures.ts';
import { checkEnv } from '../../helpers/check-env.ts';

const TWO_PI = 2 * Math.PI;
const resets = readFixture<{ cases: PushTResetCase[] }>('pusht_resets.json').cases;
const coverageCases = readFixture<{ cases: PushTCoverageCase[] }>('pusht_coverage.json').cases;

/** Smallest absolute difference between two angles. */
const angleDiff = (a: number, b: number) => Math.abs(((a - b + Math.PI) % TWO_PI + TWO_PI) % TWO_PI - Math.PI);
const obsOf = (r: { obs: unknown }) => Array.from(r.obs as Float32Array);
const hash = (env: ReturnType<typeof makeEnv>) => createHash('sha256').update((env.unwrapped as PushTEnv).worldSnapshot()).digest('hex');

describe('PushT-v0 resets match the original env (pusht_resets.json)', () => {
  const env = makeEnv('PushT-v0');
  it.each(resets.map((c) => [c.seed, c] as const))('seed %i', (_seed, c) => {
    const obs = obsOf(env.reset({ seed: c.seed }));
    // The agent is placed at the sampled integers and never moves at reset.
    expect(obs[0]).toBe(c.sampled[0]);
    expect(obs[1]).toBe(c.sampled[1]);
    if (c.overlap_at_reset) return; // the original's post-reset physics step moves the T by an engine-specific amount
    expect(Math.abs(obs[2] - c.obs[2])).toBeLessThan(1e-3);
    expect(Math.abs(obs[3] - c.obs[3])).toBeLessThan(1e-3);
    expect(angleDiff(obs[4], c.obs[4])).toBeLessThan(1e-5);
    expect(obs[4]).toBeGreaterThanOrEqual(0);
    expect(obs[4]).toBeLessThan(TWO_PI);
  });
});

describe('PushT-v0 reward and success through the env (pusht_coverage.json)', () => {
  const env = makeEnv('PushT-v0');
  it('matches coverage, reward and success for every block pose', () => {
    let checkedSteps = 0;
    for (const c of coverageCases) {
      const [bx, by, ba] = c.block;
      // Park the agent in the corner farthest from the block so nothing touches it.
      const corners: [number, number][] = [[30, 30], [482, 30], [30, 482], [482, 482]];
      const [ax, ay] = corners.reduce((best, p) => (Math.hypot(p[0] - bx, p[1] - by) > Math.hypot(best[0] - bx, best[1] - by) ? p : best));
      const { info } = env.reset({ state: [ax, ay, bx, by, ba] });
      expect(Math.abs((info.coverage as number) - c.coverage)).toBeLessThan(1e-5);
      expect(info.isSuccess).toBe(c.success);
      // A step that holds the agent still: reward = clip(coverage/0.95), terminated = success.
      // A T reaches at most 121 px from its origin: with the origin in [130, 382]² it clears the walls,
      // which would otherwise push it during the step.
      if (!(bx > 130 && bx < 382 && by > 130 && by < 382)) continue;
      const r = env.step([ax, ay]);
      expect(Math.abs(r.reward - c.reward)).toBeLessThan(1e-5);
      expect(r.terminated).toBe(c.success);
      checkedSteps++;
    }
    expect(checkedSteps).toBeGreaterThan(50);
  });
});

describe('PushT-v0 physics', () => {
  it('moves a free agent by the closed-form PD recursion, exactly', () => {
    const env = makeEnv('PushT-v0');
    // Block parked in the lower right, agent in the upper left: they never meet.
    env.reset({ state: [60, 60, 400, 380, 0] });
    const kp = 100, kv = 20, dt = 0.01;
    const p = [60, 60], v = [0, 0];
    const targets = [[150, 90], [150, 90], [40, 200], [0, 0], [180, 180], [100, 40]];
    for (const target of targets) {
      for (let i = 0; i < 10; i++) {
        for (let d = 0; d < 2; d++) {
          v[d] += (kp * (target[d] - p[d]) + kv * (0 - v[d])) * dt;
          p[d] += v[d] * dt;
        }
      }
      const r = env.step(target);
      const obs = obsOf(r);
      expect(obs[0]).toBe(Math.fround(p[0]));
      expect(obs[1]).toBe(Math.fround(p[1]));
      const s = env.getState();
      expect([s[0], s[1], s[5], s[6]]).toEqual([p[0], p[1], v[0], v[1]]);
      expect(r.info.nContacts).toBe(0);
      expect([obs[2], obs[3], obs[4]]).toEqual([400, 380, 0]); // untouched block: no drift at all
    }
  });

  it('converges to a held target as a critically damped system (ζ = 1)', () => {
    const env = makeEnv('PushT-v0');
    env.reset({ state: [100, 100, 400, 380, 0] });
    // Continuous-time step response of ω = 10, ζ = 1: overshoot-free, 1 − (1 + ωt)e^{−ωt} of the way at t.
    let prev = 100;
    for (let k = 1; k <= 10; k++) {
      const x = obsOf(env.step([200, 100]))[0];
      expect(x).toBeGreaterThanOrEqual(prev); // monotone, never overshoots
      expect(x).toBeLessThanOrEqual(200);
      const t = k * 0.1;
      const ideal = 100 + 100 * (1 - (1 + 10 * t) * Math.exp(-10 * t));
      expect(Math.abs(x - ideal)).toBeLessThan(6); // explicit Euler at dt = 0.01 tracks the continuous response
      prev = x;
    }
  });

  it('keeps an untouched T still and stops it when the pusher leaves', () => {
    const env = makeEnv('PushT-v0');
    env.reset({ state: [256, 420, 256, 200, 0] });
    // Push up into the stem's end (stem spans y 230..320 at this pose), then back off.
    let moved = false;
    for (let t = 0; t < 12; t++) {
      const r = env.step([256, 300 - t * 5]);
      if (obsOf(r)[3] < 200) moved = true;
    }
    expect(moved).toBe(true);
    // Retreat far below; once out of contact the T must not drift (quasi-static).
    for (let t = 0; t < 5; t++) env.step([256, 480]);
    const rest = obsOf(env.step([256, 480]));
    for (let t = 0; t < 10; t++) {
      const r = env.step([256 + 10 * Math.sin(t), 480]);
      expect(r.info.nContacts).toBe(0);
      expect(obsOf(r).slice(2)).toEqual(rest.slice(2));
    }
  });

  it('reports contacts while pushing', () => {
    const env = makeEnv('PushT-v0');
    env.reset({ state: [256, 360, 256, 200, 0] });
    const counts = Array.from({ length: 10 }, (_, t) => env.step([256, 330 - 5 * t]).info.nContacts as number);
    expect(Math.max(...counts)).toBeGreaterThan(0);
  });

  it('stops the T at the walls', () => {
    const env = makeEnv('PushT-v0');
    // T upright, bar at y 150..180, pushed left along the bar's axis by an agent that keeps going.
    env.reset({ state: [330, 165, 150, 150, 0] });
    let minX = Infinity;
    for (let t = 0; t < 40; t++) {
      const r = env.step([0, 165]);
      const kp = Array.from(makeKeypoints(env));
      for (let i = 0; i < 16; i += 2) minX = Math.min(minX, kp[i]);
    }
    // The wall is the segment x = 5 with radius 2: the T may not cross x = 7 (up to Rapier's allowed penetration).
    expect(minX).toBeGreaterThan(7 - 0.5);
    expect(minX).toBeLessThan(8); // and it was actually pushed against it
  });
});

function makeKeypoints(env: ReturnType<typeof makeEnv>): Float32Array {
  const s = env.getState();
  const probe = new PushTEnv({ obsType: 'keypoints' });
  const obs = probe.reset({ state: s.slice(0, 5) }).obs as Float32Array;
  probe.close();
  return obs;
}

describe('PushT-v0 observations', () => {
  it('keypoints are the 8 box corners of the T (gym-pusht order) and the agent', () => {
    const kp = new PushTEnv({ obsType: 'keypoints' });
    const st = new PushTEnv({ obsType: 'state' });
    const state = [100, 420, 230.5, 260.25, 1.2];
    const k = obsOf(kp.reset({ state }));
    const s = obsOf(st.reset({ state }));
    expect(k).toHaveLength(18);
    const [x, y, a] = [s[2], s[3], s[4]];
    const local = [[-60, 0], [60, 0], [60, 30], [-60, 30], [-15, 30], [15, 30], [15, 120], [-15, 120]];
    local.forEach(([lx, ly], i) => {
      expect(Math.abs(k[2 * i] - (Math.cos(a) * lx - Math.sin(a) * ly + x))).toBeLessThan(1e-3);
      expect(Math.abs(k[2 * i + 1] - (Math.sin(a) * lx + Math.cos(a) * ly + y))).toBeLessThan(1e-3);
    });
    expect(k.slice(16)).toEqual([100, 420]);
    kp.close();
    st.close();
  });

  it('clips actions to [0, 512]² as the original Box would', () => {
    const a = makeEnv('PushT-v0');
    const b = makeEnv('PushT-v0');
    a.reset({ seed: 7 });
    b.reset({ seed: 7 });
    for (const [raw, clipped] of [[[1000, -50], [512, 0]], [[-1, 600], [0, 512]], [[513, 256], [512, 256]]]) {
      expect(obsOf(a.step(raw))).toEqual(obsOf(b.step(clipped)));
    }
  });
});

describe('PushT-v0 determinism', () => {
  const pushing = (s: number[], t: number) => [s[2] + 12 * Math.sin(t / 5), s[3] + 40 * Math.cos(t / 7)];

  it('gives bit-identical worlds for the same seed and actions (Rapier snapshot hash)', () => {
    const a = makeEnv('PushT-v0');
    const b = makeEnv('PushT-v0');
    a.reset({ seed: 3 });
    b.reset({ seed: 3 });
    expect(hash(a)).toBe(hash(b));
    for (let t = 0; t < 60; t++) {
      const act = pushing(a.getState(), t);
      a.step(act);
      b.step(act);
    }
    expect(hash(a)).toBe(hash(b));
    expect(a.getState()).toEqual(b.getState());
    b.step([10, 10]);
    expect(hash(a)).not.toBe(hash(b));
  });

  it('replays an episode exactly from getState(), through contacts', () => {
    const a = makeEnv('PushT-v0');
    const b = makeEnv('PushT-v0');
    a.reset({ seed: 3 });
    for (let t = 0; t < 40; t++) a.step(pushing(a.getState(), t));
    const mid = a.getState();
    b.reset({ state: mid });
    expect(b.getState()).toEqual(mid);
    let contacts = 0;
    for (let t = 40; t < 100; t++) {
      const act = pushing(a.getState(), t);
      const ra = a.step(act);
      const rb = b.step(act);
      expect(obsOf(rb)).toEqual(obsOf(ra));
      expect(rb.info).toEqual(ra.info);
      contacts += ra.info.nContacts as number;
      if (ra.terminated) break;
    }
    expect(contacts).toBeGreaterThan(0); // the replay went through contacts, where solver caches would matter
  });

  it('passes checkEnv for both observation types', () => {
    const pushy = (env: { getState(): number[] }, t: number) => Float32Array.from(pushing(env.getState(), t));
    checkEnv('PushT-v0', { options: { obsType: 'state' }, steps: 30, action: pushy });
    checkEnv('PushT-v0', { options: { obsType: 'keypoints' }, steps: 30 });
  });
});

describe('PushT-v0 bad input', () => {
  it('names the env, the argument, the value and what was expected', () => {
    const env = makeEnv('PushT-v0');
    expect(() => env.step([1, 2])).toThrow(/PushT-v0: step\(\) called before reset\(\)/);
    env.reset({ seed: 0 });
    expect(() => env.step([NaN, 3])).toThrow('PushT-v0: action must be 2 finite numbers, got [NaN, 3]');
    expect(() => env.step([1, 2, 3])).toThrow('PushT-v0: action must be 2 finite numbers, got [1, 2, 3]');
    expect(() => env.reset({ seed: -4 })).toThrow('PushT-v0: seed must be a non-negative integer, got -4');
    expect(() => env.reset({ seed: 2 ** 32 })).toThrow('PushT-v0: seed must be an integer in [0, 2^32) (numpy RandomState seeds), got 4294967296');
    expect(() => env.reset({ state: [1, 2, 3] })).toThrow('PushT-v0: state must be 5 or 7 finite numbers, got [1, 2, 3]');
    expect(() => makeEnv('PushT-v0', { obsType: 'pixelz' })).toThrow(/PushT-v0: bad option obsType/);
    expect(() => makeEnv('PushT-v0', { obstype: 'state' })).toThrow(/PushT-v0: bad option/);
    expect(() => makeEnv('PushT-v9')).toThrow(/unknown env id "PushT-v9"; registered: .*PushT-v0/);
  });

  it('refuses to step a terminated episode', () => {
    const env = makeEnv('PushT-v0');
    // The block on the goal, agent far away: the first step succeeds and terminates.
    const r = (env.reset({ state: [40, 40, 256, 256, Math.PI / 4] }), env.step([40, 40]));
    expect(r.terminated).toBe(true);
    expect(r.info.isSuccess).toBe(true);
    expect(r.reward).toBe(1);
    expect(() => env.step([40, 40])).toThrow(/after the episode terminated; call reset\(\) first/);
  });

  it('truncates at 300 steps', () => {
    const env = makeEnv('PushT-v0');
    env.reset({ state: [40, 40, 300, 300, 0] });
    let r;
    for (let t = 0; t < 300; t++) {
      r = env.step([40, 40]);
      expect(r.truncated).toBe(t === 299);
    }
    expect(() => env.step([40, 40])).toThrow(/truncated at 300 steps/);
  });
});
