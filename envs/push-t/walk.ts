/**
 * Walking the pusher around the T: a grid distance field (Dijkstra, 8-connected, 6 px cells over the
 * 512² workspace) whose obstacles are the cells where the disc would touch the T. One field per plan
 * gives the walking distance to every candidate contact and the path to the chosen one. Cells where
 * the disc would touch the T cost 30× (not ∞), so a disc wedged against the T can always get out.
 */
import { T_COG_LOCAL } from './geometry.ts';
import { PHYSICS } from './world.ts';

const CELL = 6;
const N = Math.ceil(512 / CELL) + 1;
const R_AGENT = PHYSICS.agentRadius;

/** Distance from a T-local (body-origin frame) point to the T; 0 inside. */
export function distToT(lx: number, ly: number): number {
  const bar = Math.hypot(Math.max(-60 - lx, 0, lx - 60), Math.max(0 - ly, 0, ly - 30));
  const stem = Math.hypot(Math.max(-15 - lx, 0, lx - 15), Math.max(30 - ly, 0, ly - 120));
  return Math.min(bar, stem);
}

/** The T's pose as the walk needs it: body origin and the rotation's cosine and sine. */
export interface TFrame {
  bx: number;
  by: number;
  c: number;
  s: number;
}

/** Distance from a world point to the T at `f`. */
export function distToTWorld(x: number, y: number, f: TFrame): number {
  const dx = x - f.bx;
  const dy = y - f.by;
  return distToT(f.c * dx + f.s * dy, -f.s * dx + f.c * dy);
}

/** True when the disc can slide from a to b without touching the T (the start may already touch it). */
export function segmentClear(ax: number, ay: number, px: number, py: number, f: TFrame): boolean {
  const n = Math.max(1, Math.ceil(Math.hypot(px - ax, py - ay) / 3));
  for (let i = 1; i <= n; i++) {
    if (distToTWorld(ax + ((px - ax) * i) / n, ay + ((py - ay) * i) / n, f) < R_AGENT - 0.5) return false;
  }
  return true;
}

export class WalkPlanner {
  private readonly dist = new Float64Array(N * N);
  private readonly parent = new Int32Array(N * N);
  private readonly blocked = new Uint8Array(N * N);
  private readonly heap = new Int32Array(8 * N * N);
  private frame: TFrame = { bx: 0, by: 0, c: 1, s: 0 };
  private startX = 0;
  private startY = 0;

  /** Builds the obstacle map for the T at `f` and the walking distances from (x, y). */
  prepare(f: TFrame, x: number, y: number): void {
    this.frame = { ...f };
    this.startX = x;
    this.startY = y;
    for (let gy = 0; gy < N; gy++) {
      for (let gx = 0; gx < N; gx++) {
        this.blocked[gy * N + gx] = distToTWorld(gx * CELL, gy * CELL, f) < R_AGENT + 1 ? 1 : 0;
      }
    }
    this.dist.fill(Infinity);
    this.parent.fill(-1);
    const start = cellOf(x, y);
    this.dist[start] = Math.hypot(x - (start % N) * CELL, y - Math.floor(start / N) * CELL);
    // Binary heap of (cell) keyed by dist; lazy deletion.
    let size = 0;
    const heap = this.heap;
    const dist = this.dist;
    const push = (v: number) => {
      let i = size++;
      heap[i] = v;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (dist[heap[p]] <= dist[heap[i]]) break;
        [heap[p], heap[i]] = [heap[i], heap[p]];
        i = p;
      }
    };
    const pop = () => {
      const top = heap[0];
      heap[0] = heap[--size];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < size && dist[heap[l]] < dist[heap[m]]) m = l;
        if (r < size && dist[heap[r]] < dist[heap[m]]) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
      return top;
    };
    const done = new Uint8Array(N * N);
    push(start);
    while (size > 0) {
      const u = pop();
      if (done[u]) continue;
      done[u] = 1;
      const ux = u % N;
      const uy = (u - ux) / N;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          const vx = ux + dx;
          const vy = uy + dy;
          if (vx < 0 || vy < 0 || vx >= N || vy >= N) continue;
          const v = vy * N + vx;
          if (done[v]) continue;
          // Cells where the disc would touch the T are not forbidden but cost 30× as much: a disc that
          // starts wedged against the T (or between it and a wall) can still get out.
          const nd = dist[u] + (dx !== 0 && dy !== 0 ? Math.SQRT2 * CELL : CELL) * (this.blocked[v] ? 30 : 1);
          if (nd < dist[v]) {
            dist[v] = nd;
            this.parent[v] = u;
            if (size < heap.length) push(v);
          }
        }
      }
    }
  }

  /** Walking distance from the start to (x, y); Infinity when the disc cannot get there. */
  distanceTo(x: number, y: number): number {
    if (segmentClear(this.startX, this.startY, x, y, this.frame)) return Math.hypot(x - this.startX, y - this.startY);
    return this.entry(x, y).dist;
  }

  /** Waypoints (x0, y0, x1, y1, …) from the start to (x, y), ending at (x, y); empty when unreachable. */
  path(x: number, y: number): number[] {
    if (segmentClear(this.startX, this.startY, x, y, this.frame)) return [x, y];
    const { cell: entry } = this.entry(x, y);
    if (entry < 0) return [];
    const cells: number[] = [];
    for (let v = entry; v >= 0; v = this.parent[v]) cells.push(v);
    cells.reverse();
    const out: number[] = [];
    for (const v of cells) out.push((v % N) * CELL, Math.floor(v / N) * CELL);
    out.push(x, y);
    return out;
  }

  /**
   * The grid cell to enter (x, y) from: the goal's own cell may be marked blocked (cells are coarse), so
   * the best of its 3×3 neighbourhood with a clear last segment; cell −1 and Infinity when none.
   */
  private entry(x: number, y: number): { cell: number; dist: number } {
    let cell = -1;
    let dist = Infinity;
    const gx = Math.round(x / CELL);
    const gy = Math.round(y / CELL);
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const cx = gx + dx;
        const cy = gy + dy;
        if (cx < 0 || cy < 0 || cx >= N || cy >= N) continue;
        const d = this.dist[cy * N + cx] + Math.hypot(x - cx * CELL, y - cy * CELL);
        if (d < dist && segmentClear(cx * CELL, cy * CELL, x, y, this.frame)) {
          dist = d;
          cell = cy * N + cx;
        }
      }
    }
    return { cell, dist };
  }
}

function cellOf(x: number, y: number): number {
  const gx = Math.min(N - 1, Math.max(0, Math.round(x / CELL)));
  const gy = Math.min(N - 1, Math.max(0, Math.round(y / CELL)));
  return gy * N + gx;
}

/** Centre of gravity of a T at body-origin pose (bx, by, θ) with cos/sin given. */
export function cogOf(bx: number, by: number, c: number, s: number): [number, number] {
  return [bx + c * T_COG_LOCAL[0] - s * T_COG_LOCAL[1], by + s * T_COG_LOCAL[0] + c * T_COG_LOCAL[1]];
}
