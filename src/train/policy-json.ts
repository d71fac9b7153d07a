/**
 * Rebuilds a trainable policy from its `toJSON()` (config and normalizers): how a gradient worker
 * (data-parallel.ts) makes its own copy of the model it trains. The weights are not part of the JSON;
 * the worker receives them through shared memory.
 */
import { DiffusionPolicy, type DiffusionPolicyJSON } from '../../policies/diffusion/policy.ts';
import { MlpBcPolicy, type MlpBcPolicyJSON } from '../../policies/baselines/mlp-bc.ts';
import type { TrainablePolicy } from '../../policies/core/trainable.ts';

const REBUILD: Record<string, (json: never) => TrainablePolicy> = {
  diffusion_unet: (j: DiffusionPolicyJSON) => DiffusionPolicy.fromJSON(j),
  diffusion_transformer: (j: DiffusionPolicyJSON) => DiffusionPolicy.fromJSON(j),
  mlp_bc: (j: MlpBcPolicyJSON) => MlpBcPolicy.fromJSON(j),
};

/** The policy id of a `toJSON()`, or null when it has none. */
export function policyIdOf(json: object): string | null {
  const id = (json as { config?: { id?: unknown } }).config?.id;
  return typeof id === 'string' ? id : null;
}

export const canRebuild = (json: object): boolean => {
  const id = policyIdOf(json);
  return id !== null && id in REBUILD;
};

export function policyFromJSON(json: object): TrainablePolicy {
  const id = policyIdOf(json);
  if (id === null || !(id in REBUILD)) throw new Error(`cannot rebuild policy ${JSON.stringify(id)} from JSON; known: ${Object.keys(REBUILD).join(', ')}`);
  return REBUILD[id](json as never);
}
