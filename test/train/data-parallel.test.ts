import { availableParallelism } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../policies/nn/tf.ts';
import { initBackend } from '../../src/backend.ts';
import { LinearNormalizer } from '../../policies/core/normalizer.ts';
import { DiffusionPolicy } from '../../policies/diffusion/policy.ts';
import type { TrainablePolicy, TrainBatch } from '../../policies/core/trainable.ts';
import { GradientPool, resolveWorkers } from '../../src/train/data-parallel.ts';
import { batchGradients } from '../../src/train/grads.ts';
import { AdamW } from '../../src/train/adamw.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

const norm = (d: number) => LinearNormalizer.fromLimits(new Array(d).fill(0), new Array(d).fill(10));
const tinyUnet = { id: 'diffusion_unet' as const, obsDim: 3, actionDim: 2, unet: { diffusionStepEmbedDim: 16, downDims: [16, 32] } };
// Dropout on, so bit identity covers the dropout masks drawn per part.
const tinyTransformer = { id: 'diffusion_transformer' as const, obsDim: 3, actionDim: 2, transformer: { nLayer: 1, nHead: 2, nEmb: 32, pDropAttn: 0.1, pDropEmb: 0.1 } };
const makeBatch = (B: number): TrainBatch => ({
  batchSize: B,
  obs: Float32Array.from({ length: B * 2 * 3 }, (_, i) => (i * 7) % 10),
  action: Float32Array.from({ length: B * 16 * 2 }, (_, i) => (i * 3) % 10),
});
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('data-parallel gradients', () => {
  it.each([
    ['DP-T', '2 and 3', tinyTransformer, [2, 3]],
    ['DP-C', '4', tinyUnet, [4]],
  ] as const)('%s: the mean gradient of %s parts has the same bits in 2 threads as in 1, and as tensors in one', async (_n, _p, cfg, partCounts) => {
    const policy = new DiffusionPolicy(cfg, { obs: norm(3), action: norm(2) });
    policy.setTraining(true);
    const one = await GradientPool.create(policy, { workers: 1, microBatch: 4 });
    const two = await GradientPool.create(policy, { workers: 2, microBatch: 4 });
    try {
      expect(two.workers).toBe(2);
      for (const parts of partCounts) {
        const B = 4 * parts;
        for (const seed of [3, 4]) {
          const l1 = await one.gradients(makeBatch(B), seed);
          const l2 = await two.gradients(makeBatch(B), seed);
          expect(l2).toBe(l1);
          expect(bytes(two.grad).equals(bytes(one.grad))).toBe(true);
          // The same tree summed and divided by tfjs in one thread.
          const ref = batchGradients(policy, makeBatch(B), seed, 4);
          expect(ref.loss).toBe(l1);
          const flat = new Float32Array(one.layout.total);
          one.layout.gather(one.layout.names.map((n) => ref.grads[n]), flat);
          for (const g of Object.values(ref.grads)) g.dispose();
          expect(bytes(flat).equals(bytes(one.grad))).toBe(true);
          expect(Math.max(...one.grad.map(Math.abs))).toBeGreaterThan(0);
          // A step on the shared parameters reaches the worker: the next gradients still agree.
          const step = Float32Array.from(one.grad);
          for (const pool of [one, two]) {
            for (let i = 0; i < pool.params.length; i++) pool.params[i] = Math.fround(pool.params[i] - 0.05 * step[i]);
            pool.pushParams();
          }
        }
      }
    } finally {
      await one.dispose();
      await two.dispose();
      policy.dispose();
    }
  });

  it('steps the optimizer across 2 and 3 threads to the bits of one thread, and leaks no tensors here or in the workers', async () => {
    const policy = new DiffusionPolicy(tinyUnet, { obs: norm(3), action: norm(2) });
    const vars = policy.namedVariables();
    const adamw = (shared: boolean) => new AdamW(vars, (n) => policy.weightDecay(n), { betas: [0.9, 0.95], eps: 1e-8 }, { shared });
    const one = await GradientPool.create(policy, { workers: 1, microBatch: 4, optimizer: adamw(false) });
    const two = await GradientPool.create(policy, { workers: 2, microBatch: 4, optimizer: adamw(true) });
    // Three threads on three parts: two merges left, the general path.
    const three = await GradientPool.create(policy, { workers: 3, microBatch: 4, optimizer: adamw(true) });
    try {
      const params = Float32Array.from(one.params);
      const after: Float32Array[] = [];
      for (const pool of [one, two, three]) {
        pool.params.set(params);
        pool.pushParams();
        for (let s = 0; s < 3; s++) await pool.step(makeBatch(12), s, 1e-2);
        after.push(Float32Array.from(pool.params));
      }
      expect(bytes(after[1]).equals(bytes(after[0]))).toBe(true);
      expect(bytes(after[2]).equals(bytes(after[0]))).toBe(true);
      expect(after[0].some((x, i) => x !== params[i])).toBe(true);
      const here = tf.memory().numTensors;
      const there = [...two.workerTensors];
      for (let s = 3; s < 6; s++) await two.step(makeBatch(12), s, 1e-2);
      expect(tf.memory().numTensors).toBe(here);
      expect(two.workerTensors).toEqual(there);
      const bare = await GradientPool.create(policy, { workers: 1, microBatch: 4 });
      await expect(bare.step(makeBatch(12), 0, 1e-2)).rejects.toThrow('GradientPool.step: the pool was made without an optimizer');
      await bare.dispose();
      await expect(GradientPool.create(policy, { workers: 2, microBatch: 4, optimizer: adamw(false) })).rejects.toThrow('GradientPool: with workers, the optimizer needs shared moments');
    } finally {
      await one.dispose();
      await two.dispose();
      await three.dispose();
      policy.dispose();
    }
  });

  it("surfaces a worker's error as a clear error here, and refuses use after dispose", async () => {
    const policy = new DiffusionPolicy(tinyUnet, { obs: norm(3), action: norm(2) });
    // The worker rebuilds the policy from its JSON: one that claims another horizon (the U-Net's weights
    // do not depend on it) fails on its rows while this thread's copy does not.
    const json = policy.toJSON();
    const lying: TrainablePolicy = Object.assign(Object.create(policy) as TrainablePolicy, { toJSON: () => ({ ...json, config: { ...json.config, predictionHorizon: 12 } }) });
    const pool = await GradientPool.create(lying, { workers: 2, microBatch: 4 });
    await expect(pool.gradients(makeBatch(8), 0)).rejects.toThrow('gradient worker 1: diffusion_unet: actions must be B × Tp × Da = 4 × 12 × 2 numbers, got 128');
    await expect(pool.gradients(makeBatch(8), 1)).rejects.toThrow(/gradient worker 1: diffusion_unet: actions must be/);
    await pool.dispose();
    await expect(pool.gradients(makeBatch(8), 2)).rejects.toThrow('GradientPool: used after dispose()');
    // A worker whose policy has other parameters fails at start.
    const wider: TrainablePolicy = Object.assign(Object.create(policy) as TrainablePolicy, { toJSON: () => ({ ...json, config: { ...json.config, unet: { ...json.config.unet, downDims: [16, 48] } } }) });
    await expect(GradientPool.create(wider, { workers: 2, microBatch: 4 })).rejects.toThrow(/gradient worker 1: the rebuilt policy's parameters differ from the trainer's/);
    policy.dispose();
  });

  it('picks the thread count: one per core up to 2 on CPU backends, never more than the parts', () => {
    const json = { config: { id: 'diffusion_unet' } };
    expect(resolveWorkers(undefined, 'wasm', 4, json)).toBe(Math.min(2, availableParallelism()));
    expect(resolveWorkers(undefined, 'wasm', 1, json)).toBe(1);
    expect(resolveWorkers(undefined, 'webgpu', 4, json)).toBe(1);
    expect(resolveWorkers(3, 'wasm', 2, json)).toBe(2);
    expect(() => resolveWorkers(2, 'webgpu', 4, json)).toThrow('workers: 2 gradient threads need a CPU backend (wasm or cpu), this run uses webgpu');
    expect(() => resolveWorkers(2, 'wasm', 4, { config: { id: 'vision_thing' } })).toThrow('workers: policy "vision_thing" cannot be rebuilt in a worker thread; use workers 1');
    expect(() => resolveWorkers(0, 'wasm', 4, json)).toThrow('workers must be a positive integer, got 0');
  });
});
