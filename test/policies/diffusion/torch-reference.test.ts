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
  /** torch's backward of sum(out · probe) for the named case: dx here, every parameter's in <stem>.grad.safetensors. */
  gradient: { case: string; probe: number[][][]; dx: number[][][] };
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

/** Every case's output within 1e-4 of torch's output scale, no tensor left behind. */
function expectTorchOutputs<C, Case>(what: string, fx: Fixture<C, Case>, forward: (c: Fixture<C, Case>['cases'][number]) => tf.Tensor): void {
  const before = tf.memory().numTensors;
  for (const c of fx.cases) expect(tf.tidy(() => relErr(`${what} vs torch, ${c.name}`, forward(c), c.y)), c.name).toBeLessThan(1e-4);
  expect(tf.memory().numTensors).toBe(before);
}

/**
 * Our gradients of sum(net(x) · probe) — every parameter's and the input's — against torch autograd's for the
 * same weights and inputs: the whole backward at once (custom gradients, masks, layouts), not one layer at a time.
 */
function expectTorchGradients(net: Module, stem: string, fx: Fixture<unknown, object>, forward: (x: tf.Tensor) => tf.Tensor): void {
  const g = fx.gradient;
  const c = fx.cases.find((k) => k.name === g.case)!;
  const want = loadSafetensors(FIXTURES + `${stem}.grad.safetensors`).tensors;
  const vars = [...net.namedParameters()];
  const before = tf.memory().numTensors;
  const worst: string[] = [];
  tf.tidy(() => {
    const x = tf.tensor3d(c.x);
    const probe = tf.tensor3d(g.probe);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(forward(x), probe)) as tf.Scalar, vars.map(([, v]) => v));
    for (const [name, v] of vars) {
      const t = want.get(name)!;
      const torch = tf.tensor(t.data, t.shape, 'float32');
      const err = tf.max(tf.abs(tf.sub(grads[v.name], torch))).dataSync()[0];
      const scale = tf.max(tf.abs(torch)).dataSync()[0];
      expect(scale, `${stem}: torch's gradient of ${name} is all zeros (the probe does not reach it)`).toBeGreaterThan(0);
      expect(err / scale, `${stem}: gradient of ${name}, max |ours − torch| ${err.toExponential(2)} of max |torch| ${scale.toExponential(2)}`).toBeLessThan(1e-4);
      worst.push(`${(err / scale).toExponential(1)} ${name}`);
    }
    const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(forward(xx), probe)))(x);
    expect(relErr(`${stem} d/dx vs torch`, dx, g.dx)).toBeLessThan(1e-4);
  });
  worst.sort((a, b) => Number(b.split(' ')[0]) - Number(a.split(' ')[0]));
  console.log(`${stem}: ${vars.length} parameter gradients vs torch, largest relative errors: ${worst.slice(0, 3).join(', ')}`);
  expect(tf.memory().numTensors).toBe(before);
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
    expectTorchOutputs('ConditionalUnet1D', fx, (c) => net.forward(tf.tensor3d(c.x), tf.tensor1d(c.k), tf.tensor2d(c.global_cond)));
    net.dispose();
  });

  it("every parameter's gradient and the input's equal torch autograd's (loss = sum(out · probe))", () => {
    const net = new ConditionalUnet1D(fx.config, makeInit(0));
    loadWeights(net, 'unet1d.safetensors');
    const c = fx.cases.find((k) => k.name === fx.gradient.case)!;
    expectTorchGradients(net, 'unet1d', fx, (x) => net.forward(x as tf.Tensor3D, tf.tensor1d(c.k), tf.tensor2d(c.global_cond)));
    net.dispose();
  });
});

describe('TransformerForDiffusion equals a PyTorch nn.TransformerDecoder model (shared/anchors TFD)', () => {
  const fx = readJson<Fixture<TransformerConfig, { obs: number[][][] }>>('transformer.json');

  it(`forward equals torch's within 1e-4 of the output scale, causal masks on (${fx.parameter_count} parameters)`, () => {
    const net = new TransformerForDiffusion(fx.config, makeInit(0));
    expect(net.parameterCount()).toBe(fx.parameter_count);
    loadWeights(net, 'transformer.safetensors');
    expectTorchOutputs('TransformerForDiffusion', fx, (c) => net.forward(tf.tensor3d(c.x), tf.tensor1d(c.k), tf.tensor3d(c.obs)));
    net.dispose();
  });

  it("every parameter's gradient and the input's equal torch autograd's (loss = sum(out · probe), eval mode)", () => {
    const net = new TransformerForDiffusion(fx.config, makeInit(0));
    loadWeights(net, 'transformer.safetensors');
    const c = fx.cases.find((k) => k.name === fx.gradient.case)!;
    expectTorchGradients(net, 'transformer', fx, (x) => net.forward(x as tf.Tensor3D, tf.tensor1d(c.k), tf.tensor3d(c.obs)));
    net.dispose();
  });
});
