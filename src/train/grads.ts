/**
 * Loss and gradients of one batch, optionally in micro-batches: the batch is cut into equal parts whose
 * mean-loss gradients are averaged, so memory is bounded by the micro-batch (the wasm backend's heap is
 * 4 GB) while the step is the same full-batch step up to float summation order. Part i draws its noise
 * from mixSeed(seed, i). Returns gradients keyed by the policy's parameter names.
 */
import * as tf from '../../policies/nn/tf.ts';
import { mixSeed } from '../../envs/core/seeding.ts';
import type { TrainablePolicy, TrainBatch } from '../../policies/core/trainable.ts';

export function batchGradients(policy: TrainablePolicy, batch: TrainBatch, seed: number, microBatch: number): { loss: number; grads: Record<string, tf.Tensor> } {
  const vars = policy.namedVariables();
  const varList = [...vars.values()];
  const dotted = new Map([...vars].map(([n, v]) => [v.name, n]));
  const B = batch.batchSize;
  const parts = microBatch > 0 && microBatch < B ? Math.ceil(B / microBatch) : 1;
  if (parts === 1) {
    const { value, grads } = tf.variableGrads(() => policy.loss(batch, seed), varList);
    const loss = value.dataSync()[0];
    value.dispose();
    return { loss, grads: rename(grads, dotted) };
  }
  if (B % parts !== 0 || B / parts !== microBatch) {
    throw new Error(`batch size ${B} must be a multiple of the micro-batch ${microBatch}`);
  }
  const obsPer = batch.obs.length / B;
  const actPer = batch.action.length / B;
  const sums: Record<string, tf.Tensor> = {};
  let loss = 0;
  for (let p = 0; p < parts; p++) {
    const part: TrainBatch = {
      batchSize: microBatch,
      obs: batch.obs.subarray(p * microBatch * obsPer, (p + 1) * microBatch * obsPer),
      action: batch.action.subarray(p * microBatch * actPer, (p + 1) * microBatch * actPer),
    };
    const { value, grads } = tf.variableGrads(() => policy.loss(part, mixSeed(seed, p)), varList);
    loss += value.dataSync()[0] / parts;
    value.dispose();
    for (const [name, g] of Object.entries(rename(grads, dotted))) {
      const prev = sums[name];
      sums[name] = prev ? tf.tidy(() => tf.add(prev, g)) : g;
      if (prev) {
        prev.dispose();
        g.dispose();
      }
    }
  }
  for (const name of Object.keys(sums)) {
    const s = sums[name];
    sums[name] = tf.tidy(() => tf.div(s, parts));
    s.dispose();
  }
  return { loss, grads: sums };
}

function rename(grads: tf.NamedTensorMap, dotted: Map<string, string>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [tfName, g] of Object.entries(grads)) out[dotted.get(tfName)!] = g;
  return out;
}
