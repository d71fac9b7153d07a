/**
 * Versioned env registry (Gymnasium's `register` / `make`): `makeEnv('PushT-v0', { obsType: 'keypoints' })`.
 * Tasks register themselves from `envs/index.ts`; `makeEnv` wraps the env in a TimeLimit of the spec's
 * `maxEpisodeSteps` unless `maxEpisodeSteps` is given.
 */
import { TimeLimit } from './wrappers.ts';
import type { Env } from './types.ts';

export interface EnvRegistration {
  id: string;
  /** One line for `dpbench envs` and error messages. */
  description: string;
  make: (options: Record<string, unknown>) => Env;
}

const registry = new Map<string, EnvRegistration>();

export function registerEnv(reg: EnvRegistration): void {
  if (!/^[A-Za-z][A-Za-z0-9]*-v\d+$/.test(reg.id)) throw new Error(`registerEnv: id must look like Name-v0, got ${JSON.stringify(reg.id)}`);
  if (registry.has(reg.id)) throw new Error(`registerEnv: ${reg.id} is already registered`);
  registry.set(reg.id, reg);
}

export function envIds(): string[] {
  return [...registry.keys()].sort();
}

export function envRegistration(id: string): EnvRegistration {
  const reg = registry.get(id);
  if (!reg) {
    throw new Error(`unknown env id ${JSON.stringify(id)}; registered: ${envIds().join(', ') || '(none)'}`);
  }
  return reg;
}

export interface MakeEnvOptions {
  /** Truncate after this many steps instead of the spec's `maxEpisodeSteps`. */
  maxEpisodeSteps?: number;
  [key: string]: unknown;
}

export function makeEnv(id: string, options: MakeEnvOptions = {}): TimeLimit {
  const { maxEpisodeSteps, ...envOptions } = options;
  const env = envRegistration(id).make(envOptions);
  return new TimeLimit(env, maxEpisodeSteps ?? env.spec.maxEpisodeSteps);
}
