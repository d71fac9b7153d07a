/**
 * Both denoisers against PyTorch models written independently of this project (../shared/anchors:
 * Unet1D and TFD, built from torch's own Conv1d, ConvTranspose1d, GroupNorm, Mish and
 * nn.TransformerDecoder). fixtures/make_torch_fixtures.py gave them seeded random weights, ran them in
 * eval mode and wrote the weights under our parameter names and layouts with torch's outputs; here we only
 * load them, so no torch is needed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { makeInit } from '../../../policies/nn/init.ts';
import type { Module } from '../../../policies/nn/module.ts';
import { ConditionalUnet1D, type Unet1dConfig } from '../../../policies/diffusion/unet1d.ts';
import { TransformerForDiffusion, type TransformerConfig } from '../../../policies/diffusion/transformer.ts';
import { loadSafetensors } from '../../../src/train/safetensors.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

interface Fixture<C, Case> {
  config: C;
  parameter_count: number;
  other_parameter_counts?: { config: C; parameter_count: number }[];
  cases: (Case & { name: string; k: number[]; x: number[][][]; y: number[][][] })[];
}

const readJson = <T>(name: string): T => JSON.parse(readFileSync(FIXTURES + name, 'utf8')) as T;

/** Assigns every parameter of `net` from the fixture; any parameter missing, left over or misshapen fails. */
function loadWeights(net: Module, file: string): void {
  const { tensors } = loadSafetensors(FIXTURES + file);
  const ours = net.namedParameters();
  expect([...ours.keys()].filter((n) => !tensors.has(n)), `${file}: our parameters absent from the fixture`).toEqual([]);
  expect([...tensors.keys()].filter((n) => !ours.has(n)), `${file}: fixture tensors we have no parameter for`).toEqual([]);
  for (const [name, v] of ours) {
    const t = tensors.get(name)!;
    expect(t.shape, `${file}: shape of ${name}`).toEqual(v.shape);
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')));
  }
}

/** max |ours − torch| / max |torch|, logged with both terms. */
function relErr(what: string, ours: tf.Tensor, torch: number[][][]): number {
  return tf.tidy(() => {
    const want = tf.tensor3d(torch);
    const err = tf.max(tf.abs(tf.sub(ours, want))).dataSync()[0];
    const scale = tf.max(tf.abs(want)).dataSync()[0];
    console.log(`${what}: max |ours − torch| = ${err.toExponential(2)}, max |torch| = ${scale.toFixed(3)}, ratio ${(err / scale).toExponential(2)}`);
    return err / scale;
  });
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('ConditionalUnet1D equals a PyTorch U-Net (shared/anchors Unet1D)', () => {
  const fx = readJson<Fixture<Unet1dConfig, { global_cond: number[][] }>>('unet1d.json');

  it.each([{ config: fx.config, parameter_count: fx.parameter_count }, ...(fx.other_parameter_counts ?? [])])(
    'has torch’s parameter count for down dims $config.downDims ($parameter_count)',
    ({ config, parameter_count }) => {
      const net = new ConditionalUnet1D(config, makeInit(0));
      expect(net.parameterCount()).toBe(parameter_count);
      net.dispose();
    },
  );

  it(`forward equals torch's within 1e-4 of the output scale (${fx.cases.map((c) => c.name).join(', ')}; steps 0 and 99 included)`, () => {
    const net = new ConditionalUnet1D(fx.config, makeInit(0));
    loadWeights(net, 'unet1d.safetensors');
    const before = tf.memory().numTensors;
    for (const c of fx.cases) {
      const err = tf.tidy(() => relErr(`ConditionalUnet1D vs torch, ${c.name}`, net.forward(tf.tensor3d(c.x), tf.tensor1d(c.k), tf.tensor2d(c.global_cond)), c.y));
      expect(err, c.name).toBeLessThan(1e-4);
    }
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});

describe('TransformerForDiffusion equals a PyTorch nn.TransformerDecoder model (shared/anchors TFD)', () => {
  const fx = readJson<Fixture<TransformerConfig, { obs: number[][][] }>>('transformer.json');

  it(`forward equals torch's within 1e-4 of the output scale, causal masks on (${fx.parameter_count} parameters)`, () => {
    const net = new TransformerForDiffusion(fx.config, makeInit(0));
    expect(net.parameterCount()).toBe(fx.parameter_count);
    loadWeights(net, 'transformer.safetensors');
    const before = tf.memory().numTensors;
    for (const c of fx.cases) {
      const err = tf.tidy(() => relErr(`TransformerForDiffusion vs torch, ${c.name}`, net.forward(tf.tensor3d(c.x), tf.tensor1d(c.k), tf.tensor3d(c.obs)), c.y));
      expect(err, c.name).toBeLessThan(1e-4);
    }
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});
