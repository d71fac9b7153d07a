/**
 * The trainable-policy registry (tfjs-models' factories over an enum of ids): a run config names a
 * policy by `policy.id`, and the harness finds here its config schema, its training-recipe defaults and
 * its factory. A new policy (LSTM-GMM, IBC, BET, …) slots in with one `registerPolicy` call in
 * `policies/index.ts`; collect, train, eval and bench need no change.
 */
import type { z } from 'zod';
import type { PolicyNormalizers } from './core/normalizer.ts';
import type { TrainablePolicy } from './core/trainable.ts';

/** Training-recipe fields a policy may default (the original's per-variant AdamW betas and warm-up). */
export interface TrainDefaults {
  betas?: [number, number];
  warmupSteps?: number;
}

export interface PolicyRegistration {
  /** The `policy.id` of run configs, e.g. `diffusion_unet`. */
  id: string;
  /** One line for `dpbench policies` and error messages. */
  description: string;
  /** The policy's config schema without `obsDim`/`actionDim` (the harness fills them from the env). */
  runSchema: z.ZodType<Record<string, unknown>>;
  /** Fills the policy's own defaults into a raw policy config (before parsing), e.g. weight decay. */
  policyDefaults?: (raw: Record<string, unknown>) => Record<string, unknown>;
  trainDefaults?: TrainDefaults;
  /** Sampling draws noise (diffusion); false for deterministic regressors. */
  stochastic: boolean;
  /** Takes camera images (`pixels_agent_pos`) through a vision encoder (`policy.vision`). */
  imageEncoder: boolean;
  make: (config: Record<string, unknown> & { obsDim: number; actionDim: number }, normalizers: PolicyNormalizers) => TrainablePolicy & { parameterCount(): number };
}

const REGISTRY = new Map<string, PolicyRegistration>();

export function registerPolicy(r: PolicyRegistration): void {
  if (REGISTRY.has(r.id)) throw new Error(`registerPolicy: policy id ${JSON.stringify(r.id)} is already registered`);
  REGISTRY.set(r.id, r);
}

export function policyIds(): string[] {
  return [...REGISTRY.keys()];
}

export function policyRegistration(id: unknown): PolicyRegistration {
  const r = typeof id === 'string' ? REGISTRY.get(id) : undefined;
  if (!r) throw new Error(`policy.id: expected one of ${policyIds().join(', ')}, got ${JSON.stringify(id)}`);
  return r;
}
