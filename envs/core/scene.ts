/**
 * Scene descriptions: what a task looks like, as data (no three.js here). The renderer (src/render)
 * builds the description once per env kind and then only moves bodies, using the poses of
 * `Env.frame()` (x, y, z, qx, qy, qz, qw per body, in `SceneFrame.names` order).
 *
 * Units are the task's own (PushT: pixels of its 512×512 workspace; BlockStack: metres). z is up.
 */

/** A solid shape, centred on its object's origin unless stated. */
export type Primitive =
  /** Axis-aligned box of full extents `size` (x, y, z); z extent 0: a flat rectangle in its z = 0 plane. */
  | { readonly kind: 'box'; readonly size: readonly [number, number, number] }
  /** Cylinder along z of the given radius and full height; height 0: a flat disc (2-D scenes draw no side walls). */
  | { readonly kind: 'cylinder'; readonly radius: number; readonly height: number }
  | { readonly kind: 'sphere'; readonly radius: number }
  /** Union of simple polygons in the xy plane (counter-clockwise vertex lists), extruded from z = 0 to z = depth (0: flat). */
  | { readonly kind: 'extrude'; readonly polygons: readonly (readonly (readonly [number, number])[])[]; readonly depth: number }
  /** Flat rectangle of extents `size` (x, y) in the z = 0 plane, facing +z. */
  | { readonly kind: 'plane'; readonly size: readonly [number, number] };

export interface Pose {
  readonly position: readonly [number, number, number];
  /** Unit quaternion x, y, z, w. */
  readonly quaternion: readonly [number, number, number, number];
}

export interface SceneObject {
  readonly name: string;
  readonly shape: Primitive;
  /** CSS-style `#rrggbb`. */
  readonly color: string;
  /** Name of the moving body (from `SceneFrame.names`) this object is attached to; absent = static. */
  readonly body?: string;
  /** Pose in the world (static objects) or relative to the body (attached objects). Identity when absent. */
  readonly pose?: Pose;
  /** Drawn without lighting (flat colour), as the 2-D tasks are. Default false. */
  readonly unlit?: boolean;
}

export type Camera =
  | {
      readonly kind: 'orthographic';
      /** World extents seen by the image: x from left to right, y from bottom to top (in camera space). */
      readonly left: number;
      readonly right: number;
      readonly top: number;
      readonly bottom: number;
      readonly position: readonly [number, number, number];
      readonly lookAt: readonly [number, number, number];
      readonly up: readonly [number, number, number];
      readonly near: number;
      readonly far: number;
    }
  | {
      readonly kind: 'perspective';
      /** Vertical field of view in degrees. */
      readonly fovDeg: number;
      readonly position: readonly [number, number, number];
      readonly lookAt: readonly [number, number, number];
      readonly up: readonly [number, number, number];
      readonly near: number;
      readonly far: number;
    };

export interface SceneDescription {
  /** Identifies the scene kind (the renderer caches built scenes by it), e.g. `PushT-v0`. */
  readonly id: string;
  /** CSS-style `#rrggbb` clear colour. */
  readonly background: string;
  readonly camera: Camera;
  readonly objects: readonly SceneObject[];
  /** Body names in the order `Env.frame()` reports them. */
  readonly bodies: readonly string[];
  /**
   * Lighting for lit objects: ambient intensity and one directional light shining along `direction`. A lit
   * surface shows its colour × (ambient + intensity × cos θ), θ between its normal and the light (clipped
   * at 1 per channel); unlit objects show their colour exactly.
   */
  readonly lights?: { readonly ambient: number; readonly directional?: { readonly direction: readonly [number, number, number]; readonly intensity: number } };
}
