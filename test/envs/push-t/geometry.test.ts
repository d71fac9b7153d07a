import { describe, expect, it } from 'vitest';
import {
  clipConvex,
  cogWorld,
  coverage,
  GOAL_POSE,
  isSuccess,
  legacyOrigin,
  polygonArea,
  rewardFromCoverage,
  SUCCESS_COVERAGE,
  T_AREA,
  T_BAR_LOCAL,
  T_COG_LOCAL,
  T_STEM_LOCAL,
  tVerticesWorld,
} from '../../../envs/push-t/geometry.ts';
import { readFixture, type PushTCoverageCase, type PushTResetCase } from '../../helpers/fixtures.ts';

type CoverageCase = PushTCoverageCase;
type ResetCase = PushTResetCase;

/** Park–Miller LCG in [0, 1), for reproducible random cases. */
function lcg(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

const box = (x0: number, y0: number, x1: number, y1: number) => new Float64Array([x0, y0, x1, y0, x1, y1, x0, y1]);

describe('Push-T geometry: coverage fixture (shapely)', () => {
  const { cases } = readFixture<{ cases: CoverageCase[] }>('pusht_coverage.json');

  it('has cases in every regime', () => {
    expect(cases.length).toBeGreaterThan(100);
    // The fixture must exercise every regime: no overlap, partial, and success.
    expect(cases.some((c) => c.coverage === 0)).toBe(true);
    expect(cases.some((c) => c.coverage > 0 && !c.success)).toBe(true);
    expect(cases.some((c) => c.success)).toBe(true);
  });

  it('matches coverage, reward and success on every case', () => {
    for (const { block, coverage: want, reward, success } of cases) {
      const c = coverage(block[0], block[1], block[2]);
      expect(Math.abs(c - want), `coverage at ${block}`).toBeLessThan(1e-6);
      expect(Math.abs(rewardFromCoverage(c) - reward), `reward at ${block}`).toBeLessThan(1e-6);
      expect(isSuccess(c), `success at ${block}`).toBe(success);
    }
  });
});

describe('Push-T geometry: closed forms', () => {
  it('T area is 120x30 + 30x90 and the COG is the mean of the box centroids', () => {
    const bar = new Float64Array(T_BAR_LOCAL.flat());
    const stem = new Float64Array(T_STEM_LOCAL.flat());
    expect(polygonArea(bar, 4)).toBe(3600);
    expect(polygonArea(stem, 4)).toBe(2700);
    expect(T_AREA).toBe(6300);
    // Box centroids (0, 15) and (0, 75) → (0, 45).
    expect(T_COG_LOCAL).toEqual([0, 45]);
  });

  it('the goal pose covers the goal exactly, a far-away pose not at all', () => {
    expect(Math.abs(coverage(GOAL_POSE[0], GOAL_POSE[1], GOAL_POSE[2]) - 1)).toBeLessThan(1e-12);
    expect(coverage(10, 10, 0)).toBe(0);
    expect(coverage(5000, -3000, 1.3)).toBe(0);
  });

  it('shifts along the goal axes give the closed-form overlap', () => {
    const [gx, gy, th] = GOAL_POSE;
    const ux = [Math.cos(th), Math.sin(th)]; // goal local +x in world
    const uy = [-Math.sin(th), Math.cos(th)]; // goal local +y in world
    for (const d of [0.5, 3, 10, 29]) {
      // Along local x: bar (120-d)x30 + stem (30-d)x90, the cross pairs only touch.
      const cx = coverage(gx + d * ux[0], gy + d * ux[1], th);
      expect(cx).toBeCloseTo(((120 - d) * 30 + (30 - d) * 90) / 6300, 12);
      // Along local y: bar∩bar 120(30-d) + goal stem∩block bar 30d + stem∩stem 30(90-d) = 6300 - 120d.
      const cy = coverage(gx + d * uy[0], gy + d * uy[1], th);
      expect(cy).toBeCloseTo(1 - (120 * d) / 6300, 12);
    }
  });

  it('goal T world vertices are R(pi/4)·v + (256, 256), in get_keypoints order', () => {
    const v = tVerticesWorld(GOAL_POSE[0], GOAL_POSE[1], GOAL_POSE[2], new Float64Array(16));
    const want = [
      // bar: local (-60,0) (60,0) (60,30) (-60,30)
      [213.57, 213.57], [298.43, 298.43], [277.21, 319.64], [192.36, 234.79],
      // stem: local (-15,30) (15,30) (15,120) (-15,120)
      [224.18, 266.61], [245.39, 287.82], [181.75, 351.46], [160.54, 330.25],
    ];
    for (let k = 0; k < 8; k++) {
      expect(Math.abs(v[2 * k] - want[k][0]), `vertex ${k} x`).toBeLessThan(0.01);
      expect(Math.abs(v[2 * k + 1] - want[k][1]), `vertex ${k} y`).toBeLessThan(0.01);
    }
  });

  it('keypoint order follows the gym-pusht get_keypoints diagram (y down: 0 top-left … 7 stem bottom-left)', () => {
    const v = tVerticesWorld(100, 200, 0, new Float64Array(16));
    const p = (k: number) => [v[2 * k] - 100, v[2 * k + 1] - 200];
    // 0───1 is the bar's top edge (smallest y), 3───2 its bottom edge; 4,5 on it; 7───6 the stem's bottom edge.
    expect([p(0), p(1), p(2), p(3)]).toEqual([[-60, 0], [60, 0], [60, 30], [-60, 30]]);
    expect([p(4), p(5), p(6), p(7)]).toEqual([[-15, 30], [15, 30], [15, 120], [-15, 120]]);
  });

  it('clips axis-aligned boxes to the known rectangle', () => {
    const out = new Float64Array(64);
    expect(polygonArea(out, clipConvex(box(0, 0, 2, 2), 4, box(1, 1, 3, 3), 4, out))).toBeCloseTo(1, 14);
    expect(polygonArea(out, clipConvex(box(0, 0, 4, 1), 4, box(1, -1, 2, 5), 4, out))).toBeCloseTo(1, 14);
    expect(clipConvex(box(0, 0, 1, 1), 4, box(2, 2, 3, 3), 4, out)).toBe(0);
  });
});

describe('Push-T geometry: properties', () => {
  it('coverage stays in [0, 1] and is 2π-periodic in the angle', () => {
    const rnd = lcg(12345);
    for (let i = 0; i < 500; i++) {
      // Half the poses near the goal so that partial overlaps dominate.
      const near = i % 2 === 0;
      const x = near ? 256 + (rnd() - 0.5) * 120 : rnd() * 512;
      const y = near ? 256 + (rnd() - 0.5) * 120 : rnd() * 512;
      const a = (rnd() - 0.5) * 4 * Math.PI;
      const c = coverage(x, y, a);
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(1 + 1e-12);
      expect(Math.abs(coverage(x, y, a + 2 * Math.PI) - c)).toBeLessThan(1e-9);
    }
  });

  it('reward and success thresholds', () => {
    expect(rewardFromCoverage(0)).toBe(0);
    expect(rewardFromCoverage(0.475)).toBeCloseTo(0.5, 14);
    expect(rewardFromCoverage(0.96)).toBe(1);
    expect(isSuccess(SUCCESS_COVERAGE)).toBe(false); // strict >
    expect(isSuccess(0.9500001)).toBe(true);
  });

  it('clipping a box by itself (any rotation) returns the box area', () => {
    const rnd = lcg(7);
    const out = new Float64Array(64);
    const t = new Float64Array(16);
    for (let i = 0; i < 50; i++) {
      tVerticesWorld(rnd() * 512, rnd() * 512, rnd() * 2 * Math.PI, t);
      const bar = t.slice(0, 8);
      const stem = t.slice(8, 16);
      expect(polygonArea(out, clipConvex(bar, 4, bar, 4, out))).toBeCloseTo(3600, 8);
      expect(polygonArea(out, clipConvex(stem, 4, stem, 4, out))).toBeCloseTo(2700, 8);
    }
  });

  it('area(A ∩ B) = area(B ∩ A) on random convex quads of either winding', () => {
    const rnd = lcg(2024);
    // A quad inscribed in a circle (4 sorted angles) is convex; reverse it half the time.
    const quad = () => {
      const cx = rnd() * 10;
      const cy = rnd() * 10;
      const r = 1 + rnd() * 6;
      const angs = [rnd(), rnd(), rnd(), rnd()].map((u) => u * 2 * Math.PI).sort((p, q) => p - q);
      if (rnd() < 0.5) angs.reverse();
      return new Float64Array(angs.flatMap((t) => [cx + r * Math.cos(t), cy + r * Math.sin(t)]));
    };
    const out = new Float64Array(64);
    let overlapping = 0;
    for (let i = 0; i < 300; i++) {
      const a = quad();
      const b = quad();
      const ab = polygonArea(out, clipConvex(a, 4, b, 4, out));
      const ba = polygonArea(out, clipConvex(b, 4, a, 4, out));
      expect(Math.abs(ab - ba)).toBeLessThan(1e-9 * Math.max(1, ab));
      expect(ab).toBeLessThanOrEqual(Math.min(polygonArea(a, 4), polygonArea(b, 4)) + 1e-9);
      if (ab > 0) overlapping++;
    }
    expect(overlapping).toBeGreaterThan(50);
  });
});

describe('Push-T geometry: legacy reset order', () => {
  it('reproduces the gym-pusht README example (20, 30, 1.0) → (57.866, 50.686)', () => {
    const o = legacyOrigin(20, 30, 1.0, new Float64Array(2));
    expect(Math.abs(o[0] - 57.866196)).toBeLessThan(1e-3);
    expect(Math.abs(o[1] - 50.686398)).toBeLessThan(1e-3);
  });

  it('keeps the centre of gravity where the position-then-angle set put it', () => {
    const rnd = lcg(99);
    const o = new Float64Array(2);
    const g = new Float64Array(2);
    for (let i = 0; i < 100; i++) {
      const x = 100 + rnd() * 300;
      const y = 100 + rnd() * 300;
      const a = (rnd() - 0.5) * 4 * Math.PI;
      legacyOrigin(x, y, a, o);
      cogWorld(o[0], o[1], a, g);
      expect(g[0]).toBeCloseTo(x + 0, 10);
      expect(g[1]).toBeCloseTo(y + 45, 10);
    }
  });

  it('matches the reset fixture observations where the agent does not touch the T', () => {
    const { cases } = readFixture<{ cases: ResetCase[] }>('pusht_resets.json');
    const o = new Float64Array(2);
    const free = cases.filter((c) => !c.overlap_at_reset);
    expect(free.length).toBeGreaterThan(40);
    for (const { seed, sampled, obs } of free) {
      legacyOrigin(sampled[2], sampled[3], sampled[4], o);
      expect(Math.abs(o[0] - obs[2]), `seed ${seed} x`).toBeLessThan(1e-3);
      expect(Math.abs(o[1] - obs[3]), `seed ${seed} y`).toBeLessThan(1e-3);
    }
  });
});
