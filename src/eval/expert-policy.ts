/**
 * The scripted expert as a policy row (the ceiling of every table): it acts from the env's full state,
 * one action per control step, exactly as it does when it collects demonstrations.
 */
import type { ObsBatch, PolicyConfig } from '../../policies/core/policy.ts';
import { expertFor, type ExpertSpec } from '../collect/experts.ts';
import type { StatePolicy } from './rollout.ts';

export class ExpertPolicy implements StatePolicy {
  readonly usesState = true;
  readonly config: PolicyConfig;
  private readonly spec: ExpertSpec;
  private readonly experts: ReturnType<ExpertSpec['make']>[] = [];

  constructor(envId: string, obsDim: number, actionDim: number) {
    this.spec = expertFor(envId);
    this.config = { id: 'expert', obsHorizon: 1, predictionHorizon: 1, actionHorizon: 1, obsDim, actionDim };
  }

  reset(): void {
    this.experts.length = 0;
  }

  startEpisode(slot: number, seed: number, state: readonly number[]): void {
    const e = this.spec.make(seed);
    e.reset(state);
    this.experts[slot] = e;
  }

  actFromState(slot: number, state: readonly number[]): ArrayLike<number> {
    const e = this.experts[slot];
    if (!e) throw new Error(`expert: slot ${slot} has no episode; startEpisode first`);
    return e.act(state).action;
  }

  async predictChunk(_obs: ObsBatch): Promise<Float32Array[]> {
    throw new Error('expert: acts from the env state (actFromState), not from observation histories');
  }
}
