/**
 * The Policy contract (diffusion_policy's BaseLowdimPolicy, LeRobot's select_action/predict_action_chunk).
 *
 *   time:        t-1   t    t+1  …   t+Ta-1  …  t+Tp-2
 *   observed:   |o   |o   |                                 To = obsHorizon (2)
 *   predicted:  |a   |a   |a   | … |a      | … |a      |    Tp = predictionHorizon (16)
 *   executed:        |a   |a   | … |a      |                Ta = actionHorizon (8): indices To-1 … To-1+Ta-1
 *
 * A rollout keeps the last To observations of each env (padded at reset by repeating the first), asks the
 * policy for a chunk of Ta actions for every env at once, executes them open-loop, and asks again
 * (receding horizon). `predictChunk` returns only the executed Ta actions.
 */

export interface PolicyConfig {
  /** Registered policy id, e.g. `random`, `mlp_bc`, `diffusion_unet`. */
  readonly id: string;
  /** To: observation steps the policy conditions on. */
  readonly obsHorizon: number;
  /** Tp: action steps the policy predicts (≥ To − 1 + Ta). */
  readonly predictionHorizon: number;
  /** Ta: action steps executed per chunk. */
  readonly actionHorizon: number;
  /** Length of one flattened observation. */
  readonly obsDim: number;
  /** Length of one action. */
  readonly actionDim: number;
}

/** B observation histories, each To × Do, row-major in one array. */
export interface ObsBatch {
  readonly batchSize: number;
  readonly obsHorizon: number;
  readonly obsDim: number;
  /** B × To × Do. */
  readonly data: Float32Array;
  /**
   * For policies with a camera: B × To images, each H × W × C uint8 (the policy's `imageShape`), row-major
   * in (b, t, y, x, c) order, raw pixels (the policy normalizes).
   */
  readonly images?: Uint8Array;
}

export interface PredictOptions {
  /**
   * One seed per batch row for the policy's sampling noise (diffusion noise, random actions). A rollout
   * derives it from the episode seed and the chunk index, so results do not depend on how envs are batched.
   */
  noiseSeeds?: readonly number[];
}

export interface Policy {
  readonly config: PolicyConfig;
  /** Clears any per-episode state. */
  reset(): void;
  /** B chunks of Ta × Da actions, one per batch row. */
  predictChunk(obs: ObsBatch, opts?: PredictOptions): Promise<Float32Array[]>;
}

/** Checks the horizons: `Ta ≤ Tp − To + 1` (the executed actions must lie inside the prediction). */
export function checkHorizons(c: Pick<PolicyConfig, 'id' | 'obsHorizon' | 'predictionHorizon' | 'actionHorizon'>): void {
  const { id, obsHorizon: To, predictionHorizon: Tp, actionHorizon: Ta } = c;
  for (const [name, v] of [['obsHorizon', To], ['predictionHorizon', Tp], ['actionHorizon', Ta]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${id}: ${name} must be a positive integer, got ${v}`);
  }
  if (Ta > Tp - To + 1) {
    throw new Error(`${id}: actionHorizon (Ta=${Ta}) must be <= predictionHorizon - obsHorizon + 1 (${Tp} - ${To} + 1 = ${Tp - To + 1})`);
  }
}
