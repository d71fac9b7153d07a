/**
 * An independent reference for what a perspective camera sees: the pinhole model in closed form (three.js
 * conventions: vertical field of view, aspect = W / H, the camera looking from `position` at `lookAt` with
 * `up`), a ray through each pixel centre, ray–box intersection by slabs, and flat Lambert shading
 * (colour × (ambient + intensity × max(0, n·l)), clipped at 255, as SceneDescription.lights documents).
 * No renderer code is used: tests compare the renderer's images with these.
 */
import type { Camera, SceneDescription } from '../../envs/core/scene.ts';

type Vec3 = [number, number, number];
type Quat = readonly [number, number, number, number]; // x, y, z, w

/** An oriented box: centre, rotation, full extents, colour (r, g, b bytes). */
export interface Box3 {
  id: string;
  centre: readonly [number, number, number];
  quaternion: Quat;
  size: readonly [number, number, number];
  rgb: readonly [number, number, number];
}

const sub = (a: readonly number[], b: readonly number[]): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: readonly number[], b: readonly number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: readonly number[], b: readonly number[]): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: readonly number[]): Vec3 => {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
};

/** v rotated by the unit quaternion q (v' = q v q*). */
export function rotate(q: Quat, v: readonly number[]): Vec3 {
  const [x, y, z, w] = q;
  const t = cross([x, y, z], v).map((c) => 2 * c);
  const u = cross([x, y, z], t);
  return [v[0] + w * t[0] + u[0], v[1] + w * t[1] + u[1], v[2] + w * t[2] + u[2]];
}

export function hex(colour: string): [number, number, number] {
  const n = parseInt(colour.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** The camera's orthonormal frame: forward f, right r, up u (r = f × up, u = r × f). */
function frameOf(cam: Extract<Camera, { kind: 'perspective' }>) {
  const f = norm(sub(cam.lookAt, cam.position));
  const r = norm(cross(f, cam.up));
  return { f, r, u: cross(r, f) };
}

/** Image coordinates (column, row; pixel centres at k + 0.5, origin top-left) of world point p. */
export function project(cam: Camera, width: number, height: number, p: readonly number[]): [number, number] {
  if (cam.kind !== 'perspective') throw new Error('project: perspective cameras only');
  const { f, r, u } = frameOf(cam);
  const d = sub(p, cam.position);
  const t = Math.tan(((cam.fovDeg / 2) * Math.PI) / 180);
  const x = dot(d, r) / (dot(d, f) * t * (width / height));
  const y = dot(d, u) / (dot(d, f) * t);
  return [((x + 1) / 2) * width, ((1 - y) / 2) * height];
}

/** Nearest hit of the ray o + s·d (s > 0) with box b: distance and world normal of the face hit, or null. */
function hitBox(o: readonly number[], d: readonly number[], b: Box3): { s: number; normal: Vec3 } | null {
  const inv: Quat = [-b.quaternion[0], -b.quaternion[1], -b.quaternion[2], b.quaternion[3]];
  const lo = rotate(inv, sub(o, b.centre));
  const ld = rotate(inv, d);
  let near = -Infinity;
  let far = Infinity;
  let axis = -1;
  for (let k = 0; k < 3; k++) {
    const h = b.size[k] / 2;
    if (Math.abs(ld[k]) < 1e-15) {
      if (Math.abs(lo[k]) > h) return null;
      continue;
    }
    const t1 = (-h - lo[k]) / ld[k];
    const t2 = (h - lo[k]) / ld[k];
    const tn = Math.min(t1, t2);
    if (tn > near) {
      near = tn;
      axis = k;
    }
    far = Math.min(far, Math.max(t1, t2));
  }
  if (near > far || near <= 0 || axis < 0) return null;
  const n: Vec3 = [0, 0, 0];
  n[axis] = ld[axis] > 0 ? -1 : 1;
  return { s: near, normal: rotate(b.quaternion, n) };
}

/** Lit colour of a face with outward normal n under the scene's lights. */
export function shade(scene: SceneDescription, rgb: readonly number[], n: readonly number[]): [number, number, number] {
  const L = scene.lights;
  let k = L?.ambient ?? 1;
  if (L?.directional) k += L.directional.intensity * Math.max(0, dot(n, norm(L.directional.direction.map((c) => -c))));
  return [0, 1, 2].map((c) => Math.min(255, Math.round(rgb[c] * k))) as [number, number, number];
}

/** The 6 face colours of a box under the scene's lights (what any visible part of it shows). */
export function faceColours(scene: SceneDescription, b: Box3): Array<[number, number, number]> {
  const axes = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]];
  return axes.map((a) => shade(scene, b.rgb, rotate(b.quaternion, a)));
}

/**
 * Ray-cast image of `boxes` seen by the scene's camera: per pixel the id of the nearest box (or '' for the
 * background) and its shaded colour (H × W × 3, the background colour where nothing is hit).
 */
export function raycast(scene: SceneDescription, boxes: readonly Box3[], width: number, height: number): { ids: string[]; rgb: Uint8Array } {
  const cam = scene.camera;
  if (cam.kind !== 'perspective') throw new Error('raycast: perspective cameras only');
  const { f, r, u } = frameOf(cam);
  const t = Math.tan(((cam.fovDeg / 2) * Math.PI) / 180);
  const ids = new Array<string>(width * height).fill('');
  const rgb = new Uint8Array(width * height * 3);
  const bg = hex(scene.background);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const x = ((2 * (col + 0.5)) / width - 1) * t * (width / height);
      const y = (1 - (2 * (row + 0.5)) / height) * t;
      const d = [f[0] + x * r[0] + y * u[0], f[1] + x * r[1] + y * u[1], f[2] + x * r[2] + y * u[2]];
      let best: { s: number; normal: Vec3; box: Box3 } | null = null;
      for (const b of boxes) {
        const h = hitBox(cam.position, d, b);
        if (h && (!best || h.s < best.s)) best = { ...h, box: b };
      }
      const i = row * width + col;
      const c = best ? shade(scene, best.box.rgb, best.normal) : bg;
      if (best) ids[i] = best.box.id;
      rgb.set(c, 3 * i);
    }
  }
  return { ids, rgb };
}
