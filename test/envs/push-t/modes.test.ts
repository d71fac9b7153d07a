import { describe, expect, it } from 'vitest';
import { PushTEnv } from '../../../envs/index.ts';
import { blockAngle, labelMode, netTurn } from '../../../envs/push-t/modes.ts';

const deg = (d: number) => (d * Math.PI) / 180;
const mod2pi = (a: number) => ((a % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);

/** State observations of a T turned from a0 by `turn` in `steps` equal steps, angle stored mod 2π. */
function turning(a0: number, turn: number, steps: number): Float32Array {
  const out = new Float32Array((steps + 1) * 5);
  for (let t = 0; t <= steps; t++) out.set([100, 100, 256, 256, mod2pi(a0 + (turn * t) / steps)], t * 5);
  return out;
}

describe('Push-T mode labels', () => {
  it('labels the direction of the net turn, across the 0/2π wrap', () => {
    expect(labelMode(turning(deg(350), deg(50), 10), 5, 'state')).toBe('cw');
    expect(labelMode(turning(deg(10), deg(-50), 10), 5, 'state')).toBe('ccw');
    expect(labelMode(turning(deg(100), deg(250), 50), 5, 'state')).toBe('cw'); // a long way round
    expect(labelMode(turning(deg(100), deg(-200), 50), 5, 'state')).toBe('ccw');
    expect(labelMode(turning(deg(100), deg(1), 5), 5, 'state')).toBe('none');
  });

  it('unwraps steps into (−π, π]: the net turn of a full revolution is 2π', () => {
    const angles = Array.from({ length: 37 }, (_, i) => mod2pi(deg(10 * i)));
    expect(netTurn(angles)).toBeCloseTo(2 * Math.PI, 12);
  });

  it('reads the same angle from keypoint observations as from state observations', () => {
    const k = new PushTEnv({ obsType: 'keypoints' });
    const s = new PushTEnv({ obsType: 'state' });
    for (const a of [0, 0.3, 2.5, -1.2, 4]) {
      const state = [60, 60, 250, 240, a];
      const ka = blockAngle(k.reset({ state }).obs as Float32Array, 'keypoints');
      const sa = blockAngle(s.reset({ state }).obs as Float32Array, 'state');
      expect(Math.abs(netTurn([sa, ka]))).toBeLessThan(1e-5);
    }
  });

  it('rejects a trajectory that is not whole observations', () => {
    expect(() => labelMode(new Float32Array(7), 5, 'state')).toThrow('labelMode: 7 numbers is not a whole number of 5-dim observations');
  });
});
