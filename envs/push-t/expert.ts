/**
 * A scripted Push-T expert that pushes like a person at 10 Hz, and is multimodal by construction.
 *
 * Mode: the T must turn by e = wrap(θ_goal − θ_0) to reach the goal, or by e ∓ 2π the other way round.
 * When both are reasonable (|e| ≥ 90°, so the long way is ≤ 270°) the expert picks the direction with its
 * own seeded RNG, 50/50; otherwise it takes the short way. The mode is the direction the T is turned:
 * `cw` (θ increases: clockwise on screen, whose y axis points down) or `ccw`. `modes.ts` recovers it from
 * observations alone.
 *
 * Control: quasi-static, frictionless point pushing (the env's physics). A push at contact point r (from
 * the T's centre of gravity) along the inward normal n moves the T, per pixel the pusher advances, by
 *   Δc = k n,   Δθ = k (r × n) / I,   k = 1 / (1/m + (r × n)² / I)
 * (the contact keeps the pusher and the T from interpenetrating; m = 1, I = 3000). Each step the expert
 * scores contact points all around the T's outline by how far a push there reduces the pose error
 * √(|Δc|² + λ²Δθ²), minus the cost of walking there, and either keeps pushing or walks to a better
 * contact: around the T on a clearance circle when the straight path is blocked, then straight in along
 * the contact normal. Targets stay within reach of the disc (≤ 35 px away): no teleporting.
 * It reads the full state (`env.getState()`) and never touches the env it demonstrates in.
 */
import { RandomState } from '../core/numpy-random.ts';
import { mixSeed } from '../core/seeding.ts';
import { GOAL_POSE, T_COG_LOCAL } from './geometry.ts';
import { PHYSICS } from './world.ts';
import { segmentClear, WalkPlanner, type TFrame } from './walk.ts';

export const PUSHT_MODES = ['cw', 'ccw'] as const;
/** Tag mixed into the episode seed for the expert's RNG ('EXPT'). */
const EXPERT_RNG_TAG = 0x45585054;
export type PushTMode = (typeof PUSHT_MODES)[number];

const R_AGENT = PHYSICS.agentRadius;
const INERTIA = PHYSICS.blockInertia;
const MASS = PHYSICS.blockMass;
/** px of push per radian of turn (see poseError). */
const LAMBDA = 2 * Math.sqrt(PHYSICS.blockInertia / PHYSICS.blockMass);
/**
 * Pushes are scored by the log of the pose-error ratio they achieve (so small errors near the goal still
 * matter), minus this cost per px walked to reach the contact: a 100 px walk must buy a 1/3 reduction.
 */
const TRAVEL_COST = 0.002;
/** Wall gap (px) below which the planner pays 1 px of pose error per px. */
const WALL_CLEARANCE = 30;
/** Longest push considered per plan (px). */
const MAX_PUSH = 60;
/** Longest target offset from the agent (px): what a person's hand reaches in 0.1 s. */
const REACH = 35;

/** A straight piece of the T's outline (T-local), restricted to where the disc can touch it alone. */
interface Edge {
  ax: number;
  ay: number;
  bx: number;
  by: number;
  /** Outward normal. */
  nx: number;
  ny: number;
}

const EDGES: Edge[] = [
  { ax: -60, ay: 0, bx: 60, by: 0, nx: 0, ny: -1 }, // top of the bar
  { ax: 60, ay: 0, bx: 60, by: 30, nx: 1, ny: 0 }, // right end of the bar
  { ax: 60, ay: 30, bx: 30, by: 30, nx: 0, ny: 1 }, // under the bar, right (the disc clears the stem: x ≥ 30)
  { ax: 15, ay: 120, bx: 15, by: 45, nx: 1, ny: 0 }, // right of the stem (the disc clears the bar: y ≥ 45)
  { ax: 15, ay: 120, bx: -15, by: 120, nx: 0, ny: 1 }, // end of the stem
  { ax: -15, ay: 45, bx: -15, by: 120, nx: -1, ny: 0 }, // left of the stem
  { ax: -30, ay: 30, bx: -60, by: 30, nx: 0, ny: 1 }, // under the bar, left
  { ax: -60, ay: 30, bx: -60, by: 0, nx: -1, ny: 0 }, // left end of the bar
];

interface Contact {
  edge: Edge;
  /** Contact point, T-local. */
  px: number;
  py: number;
}

/** Candidate contacts every 4 px along the edges, kept 2 px from their ends. */
export const CONTACTS: Contact[] = EDGES.flatMap((edge) => {
  const len = Math.hypot(edge.bx - edge.ax, edge.by - edge.ay);
  const n = Math.max(1, Math.round((len - 4) / 4));
  return Array.from({ length: n + 1 }, (_, i) => {
    const t = (2 + ((len - 4) * i) / n) / len;
    return { edge, px: edge.ax + t * (edge.bx - edge.ax), py: edge.ay + t * (edge.by - edge.ay) };
  });
});

const CORNERS = [-60, 0, 60, 0, 60, 30, 15, 30, 15, 120, -15, 120, -15, 30, -60, 30];
/** Smallest gap between the T (COG at cx, cy; angle th) and the inner faces of the walls (x, y ∈ [7, 504]). */
function wallMargin(cx: number, cy: number, th: number): number {
  const c = Math.cos(th);
  const s = Math.sin(th);
  let m = Infinity;
  for (let i = 0; i < CORNERS.length; i += 2) {
    const lx = CORNERS[i] - T_COG_LOCAL[0];
    const ly = CORNERS[i + 1] - T_COG_LOCAL[1];
    const x = cx + c * lx - s * ly;
    const y = cy + s * lx + c * ly;
    m = Math.min(m, x - 7, 504 - x, y - 7, 504 - y);
  }
  return m;
}

/** Gap (px) between the disc and the T at the pre-contact point. */
const GAP = 3;

interface Plan {
  phase: 'approach' | 'push';
  /** Pre-contact disc position (world). */
  preX: number;
  preY: number;
  /** Push direction (world, unit). */
  dx: number;
  dy: number;
  /** Planned push length beyond touching (px). */
  length: number;
  /** Distance travelled from the pre-contact point (px). */
  progress: number;
  /** Block pose the plan was made for. */
  pose: [number, number, number];
  /** The walk to the pre-contact point: x0, y0, x1, y1, …, and the next waypoint to aim past. */
  path: number[];
  next: number;
}

export interface ExpertStep {
  action: Float64Array;
  phase: 'approach' | 'push';
}

export class PushTExpert {
  /** The turning direction chosen for this episode. */
  mode: PushTMode = 'cw';
  /** Total rotation the expert aims for this episode (rad, signed). */
  plannedTurn = 0;
  private readonly rng: RandomState;
  private targetAngle = 0;
  private plan: Plan | null = null;
  private readonly action = new Float64Array(2);
  private readonly goalCog: [number, number];
  private readonly walk = new WalkPlanner();

  /** `seed` is the episode's env seed; the expert's own RNG is derived from it, independent of the env's. */
  constructor(seed: number) {
    this.rng = new RandomState(mixSeed(seed >>> 0, EXPERT_RNG_TAG));
    const [gx, gy, ga] = GOAL_POSE;
    this.goalCog = [gx + Math.cos(ga) * T_COG_LOCAL[0] - Math.sin(ga) * T_COG_LOCAL[1], gy + Math.sin(ga) * T_COG_LOCAL[0] + Math.cos(ga) * T_COG_LOCAL[1]];
  }

  /** Starts an episode from `state` (env.getState()): chooses the mode. */
  reset(state: readonly number[]): PushTMode {
    const theta = state[4];
    const e = wrapToPi(GOAL_POSE[2] - theta);
    const bothReasonable = Math.abs(e) >= Math.PI / 2;
    const longWay = bothReasonable && this.rng.randomSample() < 0.5;
    this.plannedTurn = longWay ? e - Math.sign(e) * 2 * Math.PI : e;
    this.targetAngle = theta + this.plannedTurn;
    this.mode = this.plannedTurn >= 0 ? 'cw' : 'ccw';
    this.plan = null;
    return this.mode;
  }

  /** The next absolute target for the agent, from the full state [ax, ay, bx, by, θ, vx, vy]. */
  act(state: readonly number[]): ExpertStep {
    const [ax, ay, bx, by, th, vx, vy] = state;
    const plan = this.plan;
    const moved = plan !== null && (Math.abs(bx - plan.pose[0]) > 0.05 || Math.abs(by - plan.pose[1]) > 0.05 || Math.abs(th - plan.pose[2]) > 1e-3);
    if (plan === null || (plan.phase === 'approach' && moved)) {
      this.plan = this.choosePush(ax, ay, bx, by, th);
      if (this.plan === null) {
        this.action[0] = ax;
        this.action[1] = ay;
        return { action: this.action, phase: 'push' };
      }
    }
    const p = this.plan!;
    if (p.phase === 'approach') {
      const d = Math.hypot(p.preX - ax, p.preY - ay);
      if (d < 1.5 && Math.hypot(vx, vy) < 20) {
        p.phase = 'push';
        p.progress = 0;
      } else {
        const f: TFrame = { bx, by, c: Math.cos(th), s: Math.sin(th) };
        // Aim at the farthest waypoint in straight, clear sight (string pulling along the grid path).
        const last = p.path.length / 2 - 1;
        let k = last;
        while (k > p.next && !segmentClear(ax, ay, p.path[2 * k], p.path[2 * k + 1], f)) k--;
        // Nothing ahead in clear sight (the disc is wedged against the T): follow the grid path itself.
        if (k === p.next && k < last && Math.hypot(p.path[2 * k] - ax, p.path[2 * k + 1] - ay) < 3) k++;
        p.next = k;
        return this.target(ax, ay, p.path[2 * p.next], p.path[2 * p.next + 1], 'approach');
      }
    }
    // Push: the disc slides along a straight line (the T is quasi-static: only the path matters). The
    // target leads the disc by twice the step, which the PD law lags by at a steady ramp.
    const total = GAP + p.length;
    const speed = Math.min(10, Math.max(1, p.length / 4));
    const lead = Math.min(total, p.progress + 2 * speed);
    p.progress += speed;
    if (p.progress >= total + 2 * speed) this.plan = null;
    return this.target(ax, ay, p.preX + p.dx * lead, p.preY + p.dy * lead, 'push');
  }

  /**
   * Scores every contact by the best push there (simulated with the quasi-static model, the pusher sliding
   * along the edge), minus the walk to its pre-contact point; returns the best plan or null if no push helps.
   */
  private choosePush(ax: number, ay: number, bx: number, by: number, th: number): Plan | null {
    const c = Math.cos(th);
    const s = Math.sin(th);
    const cogX = bx + c * T_COG_LOCAL[0] - s * T_COG_LOCAL[1];
    const cogY = by + s * T_COG_LOCAL[0] + c * T_COG_LOCAL[1];
    const err0 = this.poseError(cogX, cogY, th);
    this.walk.prepare({ bx, by, c, s }, ax, ay);
    let best: Plan | null = null;
    let bestScore = -Infinity;
    for (const k of CONTACTS) {
      const { length, error } = this.simulatePush(k, cogX, cogY, th);
      if (length <= 0 || error >= err0) continue;
      const wx = bx + c * k.px - s * k.py;
      const wy = by + s * k.px + c * k.py;
      const onx = c * k.edge.nx - s * k.edge.ny;
      const ony = s * k.edge.nx + c * k.edge.ny;
      const preX = wx + onx * (R_AGENT + GAP);
      const preY = wy + ony * (R_AGENT + GAP);
      if (preX < 1 || preX > 511 || preY < 1 || preY > 511) continue; // targets live in [0, 512]²
      const walk = this.walk.distanceTo(preX, preY);
      if (walk === Infinity) continue;
      const score = Math.log(err0 / Math.max(error, 1e-3)) - TRAVEL_COST * walk;
      if (score > bestScore) {
        bestScore = score;
        best = { phase: 'approach', preX, preY, dx: -onx, dy: -ony, length, progress: 0, pose: [bx, by, th], path: [], next: 0 };
      }
    }
    if (best) best.path = this.walk.path(best.preX, best.preY);
    return best?.path.length ? best : null;
  }

  /**
   * Pushing left to do, in px: |Δc| + λ|Δθ| to the goal and the planned final angle. λ is the push per
   * radian at the best lever arm (r = √I): dθ/ds = r / (I + r²) = 1 / (2√I) → λ = 2√I ≈ 110 px/rad. The
   * translation such a push causes can be undone by pushing the opposite end the other way, so
   * the two errors add.
   */
  private poseError(cogX: number, cogY: number, th: number): number {
    const err = Math.hypot(this.goalCog[0] - cogX, this.goalCog[1] - cogY) + LAMBDA * Math.abs(this.targetAngle - th);
    // A T near a wall can only be pushed from some sides: keep it in open space while far from the goal.
    return err + Math.max(0, WALL_CLEARANCE - wallMargin(cogX, cogY, th));
  }

  /**
   * The quasi-static push model, integrated in 1 px steps: the disc starts touching contact `k` and moves
   * along the contact's initial inward normal; each step the T moves just enough to resolve the
   * penetration, by an impulse along the edge normal at the (sliding) contact point. Returns the push
   * length (≤ 40 px) that leaves the smallest pose error, and that error.
   */
  private simulatePush(k: Contact, cogX0: number, cogY0: number, th0: number): { length: number; error: number } {
    const e = k.edge;
    let cx = cogX0;
    let cy = cogY0;
    let th = th0;
    let c = Math.cos(th);
    let s = Math.sin(th);
    // Disc centre (world), touching, and its fixed direction of motion.
    const lx = k.px + e.nx * R_AGENT - T_COG_LOCAL[0];
    const ly = k.py + e.ny * R_AGENT - T_COG_LOCAL[1];
    let qx = cx + c * lx - s * ly;
    let qy = cy + s * lx + c * ly;
    const dx = -(c * e.nx - s * e.ny);
    const dy = -(s * e.nx + c * e.ny);
    const ex = e.bx - e.ax;
    const ey = e.by - e.ay;
    const elen2 = ex * ex + ey * ey;
    let bestLen = 0;
    let bestErr = this.poseError(cx, cy, th);
    // The model knows no walls: stop where the T would get closer to one than it is (or than 2 px).
    const wallFloor = Math.min(wallMargin(cx, cy, th), 2);
    for (let step = 1; step <= MAX_PUSH; step++) {
      qx += dx;
      qy += dy;
      // Disc centre in T-local (origin frame) coordinates.
      const rx0 = qx - cx;
      const ry0 = qy - cy;
      const ql = c * rx0 + s * ry0 + T_COG_LOCAL[0];
      const qm = -s * rx0 + c * ry0 + T_COG_LOCAL[1];
      const t = ((ql - e.ax) * ex + (qm - e.ay) * ey) / elen2;
      if (t < 0 || t > 1) break; // slid off the edge: the model no longer holds
      const pen = R_AGENT - ((ql - e.ax) * e.nx + (qm - e.ay) * e.ny);
      if (pen > 0) {
        // Contact point (T-local → world, relative to the COG) and the push direction there.
        const pl = e.ax + t * ex - T_COG_LOCAL[0];
        const pm = e.ay + t * ey - T_COG_LOCAL[1];
        const rx = c * pl - s * pm;
        const ry = s * pl + c * pm;
        const nx = -(c * e.nx - s * e.ny);
        const ny = -(s * e.nx + c * e.ny);
        const cross = rx * ny - ry * nx;
        const j = pen / (1 / MASS + (cross * cross) / INERTIA);
        cx += (nx * j) / MASS;
        cy += (ny * j) / MASS;
        th += (cross * j) / INERTIA;
        c = Math.cos(th);
        s = Math.sin(th);
        if (wallMargin(cx, cy, th) < wallFloor) break;
      }
      const err = this.poseError(cx, cy, th);
      if (err < bestErr) {
        bestErr = err;
        bestLen = step;
      }
    }
    return { length: bestLen, error: bestErr };
  }

  private target(ax: number, ay: number, tx: number, ty: number, phase: ExpertStep['phase']): ExpertStep {
    const d = Math.hypot(tx - ax, ty - ay);
    const f = d > REACH ? REACH / d : 1;
    this.action[0] = Math.min(512, Math.max(0, ax + (tx - ax) * f));
    this.action[1] = Math.min(512, Math.max(0, ay + (ty - ay) * f));
    return { action: this.action, phase };
  }

}

export function wrapToPi(a: number): number {
  return a - 2 * Math.PI * Math.round(a / (2 * Math.PI));
}
