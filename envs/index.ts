/** Registers every task and re-exports the env contract. Import this (or `src/index.ts`) to use `makeEnv`. */
import { registerEnv, envIds } from './core/registry.ts';
import { PushTEnv, PUSHT_ID, type PushTOptions } from './push-t/env.ts';
import { BlockStackEnv, BLOCKSTACK_ID, type BlockStackOptions } from './block-stack/env.ts';

if (!envIds().includes(PUSHT_ID)) {
  registerEnv({
    id: PUSHT_ID,
    description: 'Push a T-shaped block onto a goal pose with a disc (Diffusion Policy sim Push-T, 2-D, 10 Hz)',
    make: (options) => new PushTEnv(options as PushTOptions),
  });
}
if (!envIds().includes(BLOCKSTACK_ID)) {
  registerEnv({
    id: BLOCKSTACK_ID,
    description: 'Stack three cubes into one tower with a parallel-jaw gripper (3-D, Rapier, 10 Hz; modes = stacking orders)',
    make: (options) => new BlockStackEnv(options as BlockStackOptions),
  });
}

export { makeEnv, envIds, envRegistration, registerEnv } from './core/registry.ts';
export type { MakeEnvOptions, EnvRegistration } from './core/registry.ts';
export type { Env, EnvSpec, Obs, Info, ResetOptions, StepResult, SceneFrame } from './core/types.ts';
export { Box } from './core/spaces.ts';
export { TimeLimit, Wrapper } from './core/wrappers.ts';
export { RandomState } from './core/numpy-random.ts';
export { PushTEnv, PUSHT_ID } from './push-t/env.ts';
export type { PushTOptions } from './push-t/env.ts';
export { BlockStackEnv, BLOCKSTACK_ID, BLOCKSTACK_MODES } from './block-stack/env.ts';
export type { BlockStackOptions, BlockStackMode } from './block-stack/env.ts';
