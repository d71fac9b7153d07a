/**
 * Loss and gradients of one batch, optionally in micro-batches: the batch is cut into P equal parts whose
 * mean-loss gradients are averaged, so memory is bounded by the micro-batch (the wasm backend's heap is
 * 4 GB) while the step is the same full-batch step up to float summation order. Part p draws its noise
 * from mixSeed(seed, p) (from `seed` itself when P = 1).
 *
 * The part gradients are summed as a fixed binary tree, the left half ⌈n/2⌉ of a range first:
 * S[a, b) = S[a, m) + S[m, b) with m = a + ⌈(b − a)/2⌉, then divided by P. Float32 addition is correctly
 * rounded on every CPU backend and in JavaScript alike, so whichever threads compute which subtrees
 * (data-parallel.ts), the sum has the same bits: the result depends on the micro-batch, never on the
 * number of workers.
 */
import * as tf from '../../policies/nn/tf.ts';
import { mixSeed } from '../../envs/core/seeding.ts';
import type { TrainablePolicy, TrainBatch } from '../../policies/core/trainable.ts';

/** Number of parts a batch of `B` rows is cut into for micro-batches of `microBatch` rows (0: whole batch). */
export function partCount(B: number, microBatch: number): number {
  const parts = microBatch > 0 && microBatch < B ? Math.ceil(B / microBatch) : 1;
  if (parts > 1 && (B % parts !== 0 || B / parts !== microBatch)) {
    throw new Error(`batch size ${B} must be a multiple of the micro-batch ${microBatch}`);
  }
  return parts;
}

/** Where the summation tree splits the parts [a, b). */
export const treeSplit = (a: number, b: number): number => a + Math.ceil((b - a) / 2);

/** The seed of part p of P. */
export const partSeed = (seed: number, p: number, P: number): number => (P === 1 ? seed : mixSeed(seed, p));

/**
 * Rows [from, to) of a batch: every typed-array field holding a multiple of B values (obs, action, and
 * any per-row data a policy adds, e.g. images) is cut by rows; other fields are kept as they are.
 */
export function sliceBatch(batch: TrainBatch, from: number, to: number): TrainBatch {
  const B = batch.batchSize;
  if (from === 0 && to === B) return batch;
  const out: Record<string, unknown> = { ...batch, batchSize: to - from };
  for (const [key, v] of Object.entries(batch)) {
    if (!ArrayBuffer.isView(v) || v instanceof DataView) continue;
    const arr = v as unknown as Float32Array;
    if (arr.length % B !== 0) continue;
    const per = arr.length / B;
    out[key] = arr.subarray(from * per, to * per);
  }
  return out as unknown as TrainBatch;
}

/**
 * The tree sum of the (unnormalized, i.e. not divided by P) gradients of parts [a, b) of a batch cut into
 * P parts of m rows, as tensors in `vars` order, and each part's loss. `rows` holds the rows of exactly
 * those parts (rows a·m … b·m − 1 of the batch).
 */
export function partGradientSum(
  policy: TrainablePolicy,
  vars: tf.Variable[],
  rows: TrainBatch,
  seed: number,
  P: number,
  a: number,
  b: number,
): { grads: tf.Tensor[]; losses: number[] } {
  const m = rows.batchSize / (b - a);
  if (!Number.isInteger(m)) throw new Error(`partGradientSum: ${rows.batchSize} rows do not make ${b - a} equal parts`);
  const losses: number[] = [];
  const sum = (lo: number, hi: number): tf.Tensor[] => {
    if (hi - lo === 1) {
      const part = sliceBatch(rows, (lo - a) * m, (hi - a) * m);
      const { value, grads } = tf.variableGrads(() => policy.loss(part, partSeed(seed, lo, P)), vars);
      losses.push(value.dataSync()[0]);
      value.dispose();
      return vars.map((v) => grads[v.name]);
    }
    const mid = treeSplit(lo, hi);
    const left = sum(lo, mid);
    const right = sum(mid, hi);
    return left.map((l, i) => {
      const s = tf.add(l, right[i]);
      l.dispose();
      right[i].dispose();
      return s;
    });
  };
  return { grads: sum(a, b), losses };
}

/**
 * Mean loss and mean gradient of a batch in one thread, as tensors keyed by the policy's parameter names
 * (the data-parallel trainer computes the same bits across threads; see data-parallel.ts).
 */
export function batchGradients(policy: TrainablePolicy, batch: TrainBatch, seed: number, microBatch: number): { loss: number; grads: Record<string, tf.Tensor> } {
  const named = policy.namedVariables();
  const vars = [...named.values()];
  const P = partCount(batch.batchSize, microBatch);
  const { grads, losses } = partGradientSum(policy, vars, batch, seed, P, 0, P);
  const out: Record<string, tf.Tensor> = {};
  [...named.keys()].forEach((name, i) => {
    out[name] = P === 1 ? grads[i] : tf.tidy(() => tf.div(grads[i], P));
    if (P > 1) grads[i].dispose();
  });
  return { loss: meanLoss(losses), grads: out };
}

/** The batch loss from the part losses in part order (float64, so the same for any split of the work). */
export function meanLoss(losses: number[]): number {
  let s = 0;
  for (const l of losses) s += l;
  return s / losses.length;
}
