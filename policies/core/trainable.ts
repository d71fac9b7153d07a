/**
 * What the trainer needs of a policy beyond `predictChunk`. Type-only use of tfjs: policies/core
 * stays free of runtime dependencies.
 */
import type { Scalar, Variable } from '@tensorflow/tfjs';
import type { Policy } from './policy.ts';

/** A batch of training windows, raw (unnormalized): the policy normalizes. */
export interface TrainBatch {
  readonly batchSize: number;
  /** B × To × Do: the first To observations of each window. */
  readonly obs: Float32Array;
  /** B × Tp × Da: every action of each window. */
  readonly action: Float32Array;
  /** For policies with a camera: B × To raw images of the first To steps, H × W × C uint8 each (see ObsBatch). */
  readonly images?: Uint8Array;
}

export interface TrainablePolicy extends Policy {
  /**
   * The training loss of a batch (for diffusion: ‖εθ(O, A^k, k) − ε‖²). All randomness (noise,
   * timesteps, dropout) is drawn from `seed`, so a step is a pure function of weights, batch and seed.
   */
  loss(batch: TrainBatch, seed: number): Scalar;
  /** Trainable parameters by name. */
  namedVariables(): Map<string, Variable>;
  /** AdamW weight decay of a parameter (groups as in the original). */
  weightDecay(name: string): number;
  /** Switches dropout on (training) or off (evaluation). */
  setTraining(on: boolean): void;
  /** Everything needed to rebuild the policy from a checkpoint: config and normalizer, as JSON. */
  toJSON(): object;
  dispose(): void;
}
