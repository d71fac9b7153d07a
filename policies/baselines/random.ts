/**
 * The floor of every table: actions drawn uniformly from the action space, Ta per chunk. Seeded per
 * batch row, so a rollout's random actions depend only on its episode seed and chunk index.
 */
import { RandomState } from '../../envs/core/numpy-random.ts';
import { checkHorizons, type ObsBatch, type Policy, type PolicyConfig, type PredictOptions } from '../core/policy.ts';

export interface RandomPolicyOptions {
  obsDim: number;
  /** Per-dimension lower and upper bounds of the action space. */
  low: ArrayLike<number>;
  high: ArrayLike<number>;
  /** Actions per chunk; 8 as the diffusion policies, so random rows are compared at the same rate. */
  actionHorizon?: number;
}

export class RandomPolicy implements Policy {
  readonly config: PolicyConfig;
  private readonly low: Float64Array;
  private readonly high: Float64Array;

  constructor(opts: RandomPolicyOptions) {
    const Ta = opts.actionHorizon ?? 8;
    this.config = { id: 'random', obsHorizon: 1, predictionHorizon: Ta, actionHorizon: Ta, obsDim: opts.obsDim, actionDim: opts.low.length };
    checkHorizons(this.config);
    this.low = Float64Array.from(opts.low);
    this.high = Float64Array.from(opts.high);
  }

  reset(): void {}

  async predictChunk(obs: ObsBatch, opts: PredictOptions = {}): Promise<Float32Array[]> {
    const { actionHorizon: Ta, actionDim: Da } = this.config;
    const seeds = opts.noiseSeeds;
    if (seeds !== undefined && seeds.length !== obs.batchSize) {
      throw new Error(`random: noiseSeeds must have one seed per batch row (${obs.batchSize}), got ${seeds.length}`);
    }
    return Array.from({ length: obs.batchSize }, (_, b) => {
      const rs = new RandomState((seeds?.[b] ?? Math.floor(Math.random() * 2 ** 32)) >>> 0);
      const chunk = new Float32Array(Ta * Da);
      for (let i = 0; i < chunk.length; i++) {
        const d = i % Da;
        chunk[i] = rs.uniform(this.low[d], this.high[d]);
      }
      return chunk;
    });
  }
}
