import { describe, expect, it } from 'vitest';
import { labelOrder } from '../../../envs/block-stack/modes.ts';

const REST = 0.02;
type Pos = [number, number, number];
const HOME: Pos[] = [[-0.1, 0, REST], [0, 0.1, REST], [0.1, 0, REST]];

/** State observations (26 each) from per-step cube centres; EE and quaternions are filler. */
function trajectory(steps: Pos[][]): Float32Array {
  const out = new Float32Array(steps.length * 26);
  steps.forEach((cubes, t) => {
    out.set([0, 0, 0.2, 0, 0.08], t * 26);
    cubes.forEach((p, i) => out.set([...p, 0, 0, 0, 1], t * 26 + 5 + 7 * i));
  });
  return out;
}

/** Moves cube `i` up to `z` then onto `target` (x, y, z), a few steps each, from `start`. */
function pickPlace(start: Pos[], i: number, target: Pos): Pos[][] {
  const steps: Pos[][] = [];
  const at = (p: Pos) => start.map((q, j) => (j === i ? p : q)) as Pos[];
  const [x, y] = start[i];
  for (const z of [0.03, 0.06, 0.1, 0.15]) steps.push(at([x, y, z]));
  steps.push(at([target[0], target[1], 0.15]), at([target[0], target[1], 0.1]), at(target));
  return steps;
}

describe('BlockStack order labels from observations', () => {
  it('reads bottom, middle, top from the order of first lifts (the unlifted cube is the bottom)', () => {
    // Green onto blue, then red onto green: order BGR.
    const s0 = HOME;
    const a = pickPlace(s0, 1, [0.1, 0, 0.06]);
    const s1 = a[a.length - 1];
    const b = pickPlace(s1, 0, [0.1, 0, 0.1]);
    expect(labelOrder(trajectory([s0, ...a, ...b]))).toBe('BGR');
    // Red onto green, blue onto red: GRB.
    const c = pickPlace(s0, 0, [0, 0.1, 0.06]);
    const d = pickPlace(c[c.length - 1], 2, [0, 0.1, 0.1]);
    expect(labelOrder(trajectory([s0, ...c, ...d]))).toBe('GRB');
  });

  it('commits with one cube lifted only once it rests on another; otherwise no mode', () => {
    const a = pickPlace(HOME, 2, [-0.1, 0, 0.06]); // blue onto red: red bottom, green to come on top
    expect(labelOrder(trajectory([HOME, ...a]))).toBe('RBG');
    expect(labelOrder(trajectory([HOME, ...a.slice(0, 5)]))).toBe('none'); // still in the air
    expect(labelOrder(trajectory([HOME, HOME, HOME]))).toBe('none');
  });

  it('orders cubes already lifted at the first observation by height (a stretch starting mid-stack)', () => {
    // Blue rests on green, red is carried above them: GBR, though red's index comes first.
    const mid: Pos[] = [[0, 0.1, 0.15], [0, 0.1, REST], [0, 0.1, 0.06]];
    expect(labelOrder(trajectory([mid, mid]))).toBe('GBR');
  });

  it('does not count a cube tipped onto its edge (centre at 2.83 cm) as lifted', () => {
    const tipped: Pos[] = [[-0.1, 0, 0.0283], HOME[1], HOME[2]];
    expect(labelOrder(trajectory([HOME, tipped, tipped]))).toBe('none');
  });

  it('rejects observations of the wrong size', () => {
    expect(() => labelOrder(new Float32Array(30))).toThrow('labelOrder: 30 numbers is not a whole number of 26-dim observations');
    expect(() => labelOrder(new Float32Array(10), 5)).toThrow('labelOrder: BlockStack-v0 state observations have 26 numbers, got obsDim 5');
  });
});
