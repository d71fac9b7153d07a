/** Registers every task and re-exports the env contract. Import this (or `src/index.ts`) to use `makeEnv`. */
import { registerEnv, envIds } from './core/registry.ts';
import { PushTEnv, PUSHT_ID, type PushTOptions } from './push-t/env.ts';

if (!envIds().includes(PUSHT_ID)) {
  registerEnv({
    id: PUSHT_ID,
    description: 'Push a T-shaped block onto a goal pose with a disc (Diffusion Policy sim Push-T, 2-D, 10 Hz)',
    make: (options) => new PushTEnv(options as PushTOptions),
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
