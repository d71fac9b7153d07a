/**
 * dpbench's public API. Envs: `makeEnv('PushT-v0', { obsType: 'keypoints' })` (Gymnasium contract).
 * The harness (datasets, policies, training, evaluation, reports) is added to this entry as it lands.
 */
export * from '../envs/index.ts';
export { RAPIER_BUILD } from '../envs/core/physics.ts';
