/**
 * The one Rapier build of the project: `@dimforge/rapier3d-deterministic-compat` (enhanced determinism,
 * so the same seed gives bit-identical worlds across machines). The `-compat` build inlines its wasm, so
 * it loads in Node and in the browser; it is initialised once, at import (top-level await), which keeps
 * `makeEnv` synchronous.
 */
import RAPIER from '@dimforge/rapier3d-deterministic-compat';
import { createHash } from 'node:crypto';

await RAPIER.init();

export { RAPIER };
export type Rapier = typeof RAPIER;

/** The Rapier package version, for env_info.json. */
export const RAPIER_BUILD = `@dimforge/rapier3d-deterministic-compat@${RAPIER.version()}`;

/** sha256 of a world snapshot: a determinism checksum (rapier.js testbed's `worldHash`). */
export function worldHash(world: InstanceType<Rapier['World']>): string {
  return createHash('sha256').update(world.takeSnapshot()).digest('hex');
}
