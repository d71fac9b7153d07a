/**
 * Exact geometry of the Push-T block (the "T") and the coverage reward of Chi et al. 2023, "Diffusion Policy".
 *
 * Sources: diffusion_policy/env/pusht/pusht_env.py (`add_tee`, `_setup`, `_set_state`, `_get_coverage`, `step`)
 * and huggingface gym-pusht gym_pusht/envs/pusht.py (`get_keypoints`, README reset example). World frame: 512 px,
 * y points down. A pose (x, y, angle) is the position of the T body's ORIGIN; world = R(angle)·local + (x, y).
 *
 * The reference computes coverage with shapely (goal ∩ block area / goal area). Here it is exact by convex clipping:
 * the bar and the stem of one T have disjoint interiors, so area(G ∩ B) = Σ area(G_i ∩ B_j) over the 4 box pairs.
 * The hot functions allocate nothing: they reuse module-level scratch arrays and write into caller outputs.
 */

/**
 * Box corners in body-local px, in the order pymunk's `Poly.get_vertices()` returns them, which is the order of
 * gym-pusht's `environment_state` keypoints (0–3 bar, 4–7 stem; its `get_keypoints` diagram, y down):
 *
 *     0───────────1
 *     3───4───5───2
 *         7───6
 *
 * `add_tee` creates the bar as [(-60,30),(60,30),(60,0),(-60,0)] and the stem as [(-15,30),(-15,120),(15,120),(15,30)],
 * but Chipmunk's `cpPolyShapeInit` runs `cpConvexHull`, which starts at the min-x (then min-y) vertex and winds
 * counter-clockwise in y-up terms. The stored order is therefore the one below.
 */
export const T_BAR_LOCAL: readonly (readonly [number, number])[] = [[-60, 0], [60, 0], [60, 30], [-60, 30]];
export const T_STEM_LOCAL: readonly (readonly [number, number])[] = [[-15, 30], [15, 30], [15, 120], [-15, 120]];
/** 120×30 bar + 30×90 stem. */
export const T_AREA = 6300;
/** `add_tee`: body.center_of_gravity = mean of the two box centroids, (0,15) and (0,75). Not the area centroid (0, 40.71). */
export const T_COG_LOCAL: readonly [number, number] = [0, 45];
/** `_setup`: goal_pose = [256, 256, π/4]. */
export const GOAL_POSE: readonly [number, number, number] = [256, 256, Math.PI / 4];
/** `success_threshold`: success = coverage > 0.95, and reward = clip(coverage / 0.95, 0, 1). */
export const SUCCESS_COVERAGE = 0.95;

/** Most vertices clipConvex can produce (subject + clip vertex counts). */
export const MAX_CLIP_VERTS = 32;

const LOCAL = new Float64Array([...T_BAR_LOCAL.flat(), ...T_STEM_LOCAL.flat()]);

/** Writes the 8 box corners of the T at body-origin pose (x, y, angle) into `out` as [x0, y0, …, x7, y7]. */
export function tVerticesWorld(x: number, y: number, angle: number, out: Float64Array): Float64Array {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (let i = 0; i < 16; i += 2) {
    const lx = LOCAL[i];
    const ly = LOCAL[i + 1];
    out[i] = c * lx - s * ly + x;
    out[i + 1] = s * lx + c * ly + y;
  }
  return out;
}

/** Area of the polygon held in pts[0 .. 2n) (shoelace; either winding). */
export function polygonArea(pts: Float64Array, n: number): number {
  return Math.abs(signedArea(pts, n));
}

function signedArea(pts: Float64Array, n: number): number {
  let a = 0;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    a += pts[2 * j] * pts[2 * i + 1] - pts[2 * i] * pts[2 * j + 1];
  }
  return 0.5 * a;
}

const clipA = new Float64Array(2 * MAX_CLIP_VERTS);
const clipB = new Float64Array(2 * MAX_CLIP_VERTS);

/**
 * Sutherland–Hodgman: clips the convex polygon `subj` (ns vertices) by the convex polygon `clip` (nc vertices),
 * writes the intersection into `out` and returns its vertex count (0 when they do not overlap). Either winding.
 */
export function clipConvex(
  subj: Float64Array,
  ns: number,
  clip: Float64Array,
  nc: number,
  out: Float64Array,
): number {
  if (ns + nc > MAX_CLIP_VERTS || out.length < 2 * (ns + nc)) {
    throw new RangeError(
      `clipConvex: ${ns}+${nc} vertices need ns+nc <= ${MAX_CLIP_VERTS} and out.length >= ${2 * (ns + nc)}, got out.length ${out.length}`,
    );
  }
  const orient = signedArea(clip, nc) < 0 ? -1 : 1;
  let src = clipA;
  let dst = clipB;
  for (let i = 0; i < 2 * ns; i++) src[i] = subj[i];
  let n = ns;
  for (let e = 0; e < nc && n > 0; e++) {
    const ax = clip[2 * e];
    const ay = clip[2 * e + 1];
    const ex = clip[2 * ((e + 1) % nc)] - ax;
    const ey = clip[2 * ((e + 1) % nc) + 1] - ay;
    let m = 0;
    let px = src[2 * (n - 1)];
    let py = src[2 * (n - 1) + 1];
    let dp = orient * (ex * (py - ay) - ey * (px - ax));
    for (let i = 0; i < n; i++) {
      const cx = src[2 * i];
      const cy = src[2 * i + 1];
      const dc = orient * (ex * (cy - ay) - ey * (cx - ax));
      if ((dc >= 0) !== (dp >= 0)) {
        const t = dp / (dp - dc);
        dst[2 * m] = px + t * (cx - px);
        dst[2 * m + 1] = py + t * (cy - py);
        m++;
      }
      if (dc >= 0) {
        dst[2 * m] = cx;
        dst[2 * m + 1] = cy;
        m++;
      }
      px = cx;
      py = cy;
      dp = dc;
    }
    const tmp = src;
    src = dst;
    dst = tmp;
    n = m;
  }
  for (let i = 0; i < 2 * n; i++) out[i] = src[i];
  return n;
}

const goalVerts = tVerticesWorld(GOAL_POSE[0], GOAL_POSE[1], GOAL_POSE[2], new Float64Array(16));
const goalBar = goalVerts.slice(0, 8);
const goalStem = goalVerts.slice(8, 16);
const goalArea = polygonArea(goalBar, 4) + polygonArea(goalStem, 4);
const blockVerts = new Float64Array(16);
const blockBar = new Float64Array(8);
const blockStem = new Float64Array(8);
const clipOut = new Float64Array(2 * MAX_CLIP_VERTS);

function overlap(a: Float64Array, b: Float64Array): number {
  return polygonArea(clipOut, clipConvex(a, 4, b, 4, clipOut));
}

/** area(goal T ∩ block T) / area(goal T) for a block at body-origin pose (x, y, angle); in [0, 1] up to rounding. */
export function coverage(x: number, y: number, angle: number): number {
  tVerticesWorld(x, y, angle, blockVerts);
  for (let i = 0; i < 8; i++) {
    blockBar[i] = blockVerts[i];
    blockStem[i] = blockVerts[i + 8];
  }
  const inter =
    overlap(blockBar, goalBar) + overlap(blockBar, goalStem) + overlap(blockStem, goalBar) + overlap(blockStem, goalStem);
  return inter / goalArea;
}

/** `step`: reward = clip(coverage / 0.95, 0, 1). */
export function rewardFromCoverage(c: number): number {
  return Math.min(1, Math.max(0, c / SUCCESS_COVERAGE));
}

/** `step`: done / is_success = coverage > 0.95 (strict). */
export function isSuccess(c: number): boolean {
  return c > SUCCESS_COVERAGE;
}

/**
 * Body origin after the legacy reset `_set_state` (used by diffusion_policy eval and always by gym-pusht): position
 * (x, y) is set at angle 0, then the angle is set, which pymunk applies about the centre of gravity.
 * So origin = (x, y) + cog − R(angle)·cog. gym-pusht README: (20, 30, 1.0) → (57.866, 50.686).
 */
export function legacyOrigin(x: number, y: number, angle: number, out: Float64Array): Float64Array {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const gx = T_COG_LOCAL[0];
  const gy = T_COG_LOCAL[1];
  out[0] = x + gx - (c * gx - s * gy);
  out[1] = y + gy - (s * gx + c * gy);
  return out;
}

/** World position of the centre of gravity of a T at body-origin pose (x, y, angle). */
export function cogWorld(x: number, y: number, angle: number, out: Float64Array): Float64Array {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const gx = T_COG_LOCAL[0];
  const gy = T_COG_LOCAL[1];
  out[0] = x + c * gx - s * gy;
  out[1] = y + s * gx + c * gy;
  return out;
}
