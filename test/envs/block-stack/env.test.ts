import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeEnv, BlockStackEnv } from '../../../envs/index.ts';
import { RAPIER } from '../../../envs/core/physics.ts';
import { checkEnv } from '../../helpers/check-env.ts';
import { BlockStackExpert } from '../../../envs/block-stack/expert.ts';
import { BLOCKSTACK_SCENE } from '../../../envs/block-stack/scene.ts';

const G = 9.81;
const obsOf = (r: { obs: unknown }) => Array.from(r.obs as Float32Array);
const hash = (env: ReturnType<typeof makeEnv>) => createHash('sha256').update((env.unwrapped as BlockStackEnv).worldSnapshot()).digest('hex');
const inner = (env: ReturnType<typeof makeEnv>) => env.unwrapped as BlockStackEnv;

/** A cube pose: centre and yaw (quaternion about z). */
const cube = (x: number, y: number, z: number, yaw = 0) => [x, y, z, 0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)];
/** The short form of a state: EE x, y, z, yaw, width, then red, green, blue poses. */
const shortState = (ee: number[], width: number, cubes: number[][]) => [...ee, width, ...cubes.flat()];
/** The gripper parked high in a corner, open, away from every cube. */
const PARKED = [0.2, 0.2, 0.3, 0];
const hold = (ee: number[], width = 0.08) => [...ee, width];

describe('BlockStack-v0 contract', () => {
  it('passes checkEnv (determinism, state round trip, bad inputs, episode end)', () => {
    checkEnv('BlockStack-v0', { seeds: [0, 1, 100000], steps: 12 });
  });

  it('continues bit for bit from reset({ state: getState() })', () => {
    const a = makeEnv('BlockStack-v0');
    const b = makeEnv('BlockStack-v0');
    a.reset({ seed: 3 });
    const expert = new BlockStackExpert(3);
    expert.reset(a.getState());
    for (let t = 0; t < 30; t++) a.step(expert.act(a.getState()).action);
    // Mid-grasp: the fingers squeeze a cube, contacts and warm-start impulses are live.
    const state = a.getState();
    b.reset({ state });
    expect(b.getState()).toEqual(state);
    expect(hash(b)).toBe(hash(a));
    for (let t = 0; t < 30; t++) {
      const act = Array.from(expert.act(a.getState()).action);
      const ra = a.step(act);
      const rb = b.step(act);
      expect(obsOf(rb)).toEqual(obsOf(ra));
      expect(rb.info).toEqual(ra.info);
    }
    expect(hash(b)).toBe(hash(a));
  });

  it('gives the same world (snapshot hash) for the same seed and actions', () => {
    const runs = [0, 1].map(() => {
      const env = makeEnv('BlockStack-v0');
      env.reset({ seed: 11 });
      for (let t = 0; t < 15; t++) env.step([0.05 * Math.sin(t), -0.04, 0.02 + 0.01 * t, 0.3, t < 8 ? 0.08 : 0]);
      return hash(env);
    });
    expect(runs[0]).toBe(runs[1]);
  });

  it('pixel obs types: the env declares its camera and returns agent_pos = the first 5 state numbers (EE pose, width), or nothing', () => {
    const px = makeEnv('BlockStack-v0', { obsType: 'pixels_agent_pos' });
    const st = makeEnv('BlockStack-v0');
    expect(px.spec.pixels).toEqual({ width: 96, height: 96 });
    expect(st.spec.pixels).toBeUndefined();
    expect(px.spec.observationSpace.shape).toEqual([5]);
    // The bounds of the EE pose are the action's (the spec: the EE moves within them); the width is measured.
    expect(Array.from(px.spec.observationSpace.low)).toEqual([-0.2, -0.2, 0.02, -Math.PI / 2, -Infinity]);
    const agentPos = (r: { obs: unknown }) => {
      const obs = r.obs as Record<string, Float32Array>;
      expect(Object.keys(obs)).toEqual(['agent_pos']);
      expect(obs.agent_pos).toBeInstanceOf(Float32Array);
      return Array.from(obs.agent_pos);
    };
    // Beside a `state` env driven by the same actions: the same world, only the observation differs.
    expect(agentPos(px.reset({ seed: 4 }))).toEqual(obsOf(st.reset({ seed: 4 })).slice(0, 5));
    const expert = new BlockStackExpert(4);
    expert.reset(st.getState());
    for (let t = 0; t < 40; t++) {
      const action = Array.from(expert.act(st.getState()).action);
      const rs = st.step(action);
      const rp = px.step(action);
      expect(agentPos(rp)).toEqual(obsOf(rs).slice(0, 5));
      expect(rp.info).toEqual(rs.info);
    }
    expect(px.getState()).toEqual(st.getState());
    expect(px.frame()).toEqual(st.frame());
    const small = makeEnv('BlockStack-v0', { obsType: 'pixels', renderSize: 48 });
    expect(small.spec.pixels).toEqual({ width: 48, height: 48 });
    expect(small.spec.observationSpace.shape).toEqual([0]);
    expect(small.reset({ seed: 4 }).obs).toEqual({});
    expect(small.step([0, 0, 0.2, 0, 0.08]).obs).toEqual({});
    for (const e of [px, st, small]) e.close();
  });

  it('refuses unknown options, bad render sizes and inconsistent states with errors naming them', () => {
    expect(() => makeEnv('BlockStack-v0', { obsTyp: 'state' })).toThrow(/^BlockStack-v0: bad option/);
    expect(() => makeEnv('BlockStack-v0', { obsType: 'keypoints' })).toThrow('BlockStack-v0: bad option obsType: Invalid option: expected one of "state"|"pixels"|"pixels_agent_pos", got "keypoints"');
    expect(() => makeEnv('BlockStack-v0', { obsType: 'pixels', renderSize: 4 })).toThrow(/^BlockStack-v0: bad option renderSize: .*>=8, got 4$/);
    expect(() => makeEnv('BlockStack-v0', { obsType: 'pixels', renderSize: 96.5 })).toThrow(/^BlockStack-v0: bad option renderSize: .*expected int, received number, got 96\.5$/);
    const env = makeEnv('BlockStack-v0');
    env.reset({ seed: 0 });
    const before = env.getState();
    const edited = [...before];
    edited[7] += 0.01; // the red cube's z in the observation part, not in the snapshot
    expect(() => env.reset({ state: edited })).toThrow(/^BlockStack-v0: state\[0\.\.25\] \(the observation part\) must be the poses in its snapshot/);
    const corrupt = [...before];
    corrupt[40] = 2 ** 32;
    expect(() => env.reset({ state: corrupt })).toThrow(/^BlockStack-v0: state\[40\] \(a snapshot word\) must be an integer in \[0, 2\^32\)/);
    expect(() => env.reset({ state: shortState([0, 0, 0.01, 0], 0.08, [cube(0, 0, 0.02), cube(0.1, 0, 0.02), cube(-0.1, 0, 0.02)]) })).toThrow(
      /^BlockStack-v0: state\[2\] \(EE z\) must be in \[0\.02, 0\.3\], got 0\.01/,
    );
    expect(env.getState()).toEqual(before);
    expect(() => env.step([0, 0, 0.1, 0])).toThrow(/^BlockStack-v0: action must be 5 finite numbers, got \[0, 0, 0\.1, 0\]/);
  });

  it('starts every episode as the spec says: cubes at rest on the table, ≥ 9 cm apart, in the spawn square, gripper home', () => {
    const env = makeEnv('BlockStack-v0');
    for (let seed = 0; seed < 200; seed++) {
      const o = obsOf(env.reset({ seed }));
      expect(o.slice(0, 4)).toEqual([0, 0, Math.fround(0.2), 0]);
      expect(o[4]).toBeCloseTo(0.08, 6);
      const c = [0, 1, 2].map((i) => o.slice(5 + 7 * i, 12 + 7 * i));
      for (const [x, y, z, qx, qy, qz, qw] of c) {
        expect(Math.abs(x)).toBeLessThanOrEqual(0.12);
        expect(Math.abs(y)).toBeLessThanOrEqual(0.12);
        expect(z).toBe(Math.fround(0.02));
        expect([qx, qy]).toEqual([0, 0]);
        expect(Math.abs(2 * Math.atan2(qz, qw))).toBeLessThanOrEqual(Math.PI / 4 + 1e-6);
      }
      for (let i = 0; i < 3; i++) for (let j = 0; j < i; j++) expect(Math.hypot(c[i][0] - c[j][0], c[i][1] - c[j][1])).toBeGreaterThanOrEqual(0.09 - 1e-6);
    }
  });

  it('reports the bodies the scene description names, in frame() order', () => {
    const env = makeEnv('BlockStack-v0');
    const o = obsOf(env.reset({ seed: 5 }));
    const f = env.frame();
    expect(f.names).toEqual(BLOCKSTACK_SCENE.bodies);
    for (const obj of BLOCKSTACK_SCENE.objects) if (obj.body !== undefined) expect(f.names).toContain(obj.body);
    // Cube centres in the frame are the observed ones; the hand is at the EE point.
    for (let i = 0; i < 3; i++) expect(Array.from(f.poses.slice(7 * (3 + i), 7 * (3 + i) + 3))).toEqual(o.slice(5 + 7 * i, 8 + 7 * i));
    expect(Array.from(f.poses.slice(0, 3))).toEqual(o.slice(0, 3));
  });
});

describe('BlockStack-v0 physics against closed forms', () => {
  const apart = [cube(-0.1, -0.1, 0.02), cube(0.1, -0.1, 0.02), cube(-0.1, 0.1, 0.02)];

  it('drops a released cube in free fall: z = z0 − g t²/2, up to the integrator’s O(dt) lag', () => {
    const env = makeEnv('BlockStack-v0');
    const z0 = 1.0;
    env.reset({ state: shortState(PARKED, 0.08, [cube(0, -0.05, z0, 0.3), apart[1], apart[2]]) });
    for (let k = 1; k <= 4; k++) {
      const o = obsOf(env.step(hold(PARKED)));
      const t = 0.1 * k;
      const exact = z0 - 0.5 * G * t * t;
      // Semi-implicit Euler with any step h ≤ 10 ms falls ½·g·h·t further than the exact parabola.
      expect(o[7]).toBeLessThanOrEqual(exact + 1e-5);
      expect(o[7]).toBeGreaterThanOrEqual(exact - 0.5 * G * 0.01 * t - 1e-5);
      expect(o[5]).toBeCloseTo(0, 6);
      expect(o[6]).toBeCloseTo(-0.05, 6);
    }
  });

  it('keeps a cube at rest on the table at z = 2 cm (within the solver’s 1 mm allowed penetration) without drift', () => {
    const env = makeEnv('BlockStack-v0');
    env.reset({ state: shortState(PARKED, 0.08, apart) });
    let o: number[] = [];
    for (let t = 0; t < 20; t++) o = obsOf(env.step(hold(PARKED)));
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(o[7 + 7 * i] - 0.02)).toBeLessThan(0.001);
      expect(Math.hypot(o[5 + 7 * i] - apart[i][0], o[6 + 7 * i] - apart[i][1])).toBeLessThan(1e-4);
    }
  });

  it('has 100 g cubes, 4 cm on a side', () => {
    const env = makeEnv('BlockStack-v0');
    env.reset({ seed: 0 });
    const world = RAPIER.World.restoreSnapshot(inner(env).worldSnapshot());
    let cubes = 0;
    world.forEachRigidBody((b) => {
      if (b.isDynamic() && Math.abs(b.mass() - 0.1) < 1e-6) {
        cubes++;
        const he = b.collider(0).halfExtents();
        expect(he).not.toBeNull();
        expect([he!.x, he!.y, he!.z].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.02, 0.02, 0.02]);
      }
    });
    world.free();
    expect(cubes).toBe(3);
  });

  it('moves the EE straight at 20 cm/s and turns it at 90°/s, reaching the target exactly, and clips targets', () => {
    const env = makeEnv('BlockStack-v0');
    env.reset({ state: shortState([0, 0, 0.2, 0], 0.08, apart) });
    const target = [0.15, 0.05, 0.26, 0.5];
    const d = Math.hypot(0.15, 0.05, 0.06);
    const u = [0.15 / d, 0.05 / d, 0.06 / d];
    const s1 = inner(env);
    env.step(hold(target));
    const ee = s1.getState().slice(0, 4);
    for (let k = 0; k < 3; k++) expect(ee[k]).toBeCloseTo([0, 0, 0.2][k] + 0.02 * u[k], 12); // 0.2 m/s × 0.1 s
    expect(ee[3]).toBeCloseTo((Math.PI / 2) * 0.1, 12);
    const steps = Math.ceil(d / 0.02);
    for (let k = 1; k < steps; k++) env.step(hold(target));
    expect(s1.getState().slice(0, 4)).toEqual(target);
    // Out-of-bounds targets are clipped to the action box.
    for (let k = 0; k < 30; k++) env.step([5, -5, -1, 9, 0.5]);
    expect(s1.getState().slice(0, 4)).toEqual([0.2, -0.2, 0.02, Math.PI / 2]);
    expect(obsOf(env.step([5, -5, -1, 9, 0.5]))[4]).toBeCloseTo(0.08, 3);
  });

  it('closes the fingers at 20 cm/s of width, down to 0 on nothing and to the cube’s 4 cm on a cube', () => {
    const env = makeEnv('BlockStack-v0');
    env.reset({ state: shortState([0, 0, 0.2, 0], 0.08, apart) });
    const w1 = obsOf(env.step([0, 0, 0.2, 0, 0]))[4];
    expect(w1).toBeGreaterThanOrEqual(0.06 - 1e-3); // at most 2 cm closed in 0.1 s
    expect(w1).toBeLessThan(0.08);
    let w = w1;
    for (let k = 0; k < 6; k++) w = obsOf(env.step([0, 0, 0.2, 0, 0]))[4];
    expect(w).toBeLessThan(0.002);
    // On a cube at the grasp height: the jaws stop at its faces (a 10 N squeeze sinks them < 1 mm each).
    env.reset({ state: shortState([0, 0, 0.022, 0.2], 0.08, [cube(0, 0, 0.02, 0.2), apart[1], apart[2]]) });
    for (let k = 0; k < 6; k++) w = obsOf(env.step([0, 0, 0.022, 0.2, 0]))[4];
    expect(w).toBeGreaterThan(0.04 - 0.002);
    expect(w).toBeLessThan(0.04);
  });

  it('lifts a cube by friction alone: it rises with the fingers and falls when they open', () => {
    const env = makeEnv('BlockStack-v0');
    env.reset({ state: shortState([0, 0, 0.022, 0], 0.08, [cube(0, 0, 0.02), apart[1], apart[2]]) });
    for (let k = 0; k < 4; k++) env.step([0, 0, 0.022, 0, 0]);
    let o: number[] = [];
    for (let k = 0; k < 10; k++) o = obsOf(env.step([0, 0, 0.2, 0, 0]));
    expect(o[2]).toBe(Math.fround(0.2));
    const offset = o[2] - o[7];
    expect(offset).toBeGreaterThan(0); // hangs just below the EE point (grasped 2 mm above its centre)
    expect(offset).toBeLessThan(0.006); // slipped < 4 mm while accelerated upwards
    // Carried sideways at full speed: it stays between the jaws.
    for (let k = 0; k < 12; k++) o = obsOf(env.step([0.15, 0.1, 0.2, 0, 0])); // 18 cm at 2 cm per step
    expect(Math.hypot(o[5] - 0.15, o[6] - 0.1)).toBeLessThan(0.003);
    // Open: nothing holds it; it falls back to the table (a drop of ~17 cm takes < 0.2 s).
    for (let k = 0; k < 6; k++) o = obsOf(env.step([0.15, 0.1, 0.2, 0, 0.08]));
    expect(Math.abs(o[7] - 0.02)).toBeLessThan(0.002);
  });
});

describe('BlockStack-v0 placement, reward and success', () => {
  it('places a cube resting centred on another after 10 control steps (1 s) with the gripper away', () => {
    const env = makeEnv('BlockStack-v0');
    // Red on green, 5 mm off-centre (within the 1 cm tolerance); blue apart.
    env.reset({ state: shortState(PARKED, 0.08, [cube(0.005, 0, 0.06), cube(0, 0, 0.02), cube(-0.1, 0.1, 0.02)]) });
    for (let k = 1; k <= 9; k++) {
      const r = env.step(hold(PARKED));
      expect(r.reward).toBe(0);
      expect(r.info.nPlaced).toBe(0);
    }
    const r = env.step(hold(PARKED));
    expect(r.reward).toBe(0.5);
    expect(r.info).toMatchObject({ nPlaced: 1, p1: true, p2: false, isSuccess: false, tower: 'GR' });
    expect(r.terminated).toBe(false);
  });

  it('succeeds (reward 1, terminated) when all three form one tower, and reports its order', () => {
    const env = makeEnv('BlockStack-v0');
    env.reset({ state: shortState(PARKED, 0.08, [cube(0.05, 0, 0.1), cube(0.05, 0, 0.06, 0.3), cube(0.05, 0, 0.02, 0.1)]) });
    let r = env.step(hold(PARKED));
    for (let k = 2; k <= 10 && !r.terminated; k++) r = env.step(hold(PARKED));
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(1);
    expect(r.info).toMatchObject({ nPlaced: 2, p1: true, p2: true, isSuccess: true, tower: 'BGR' });
    expect(() => env.step(hold(PARKED))).toThrow(/after the episode terminated/);
  });

  it('does not count a cube off-centre by more than 1 cm, nor one still held by the fingers', () => {
    const env = makeEnv('BlockStack-v0');
    env.reset({ state: shortState(PARKED, 0.08, [cube(0.015, 0, 0.06), cube(0, 0, 0.02), cube(-0.1, 0.1, 0.02)]) });
    for (let k = 0; k < 12; k++) expect(env.step(hold(PARKED)).info.nPlaced).toBe(0);
    // Red held on green by the closed gripper: resting and centred, but not released.
    env.reset({ state: shortState([0, 0, 0.062, 0], 0.08, [cube(0, 0, 0.06), cube(0, 0, 0.02), cube(-0.1, 0.1, 0.02)]) });
    for (let k = 0; k < 15; k++) expect(env.step([0, 0, 0.062, 0, 0]).info.nPlaced).toBe(0);
  });
});
