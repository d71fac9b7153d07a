import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { AdamW } from '../../../src/train/adamw.ts';
import { LinearNormalizer } from '../../../policies/core/normalizer.ts';
import type { TrainBatch } from '../../../policies/core/trainable.ts';
import { MlpBcPolicy, parseMlpBcConfig, type MlpBcConfig } from '../../../policies/baselines/mlp-bc.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

const unit = (dim: number) => LinearNormalizer.fromLimits(new Array(dim).fill(-1), new Array(dim).fill(1));
const small = { obsDim: 3, actionDim: 2, obsHorizon: 2, predictionHorizon: 6, actionHorizon: 3, width: 16, depth: 4 } as const;
const make = (cfg: Partial<MlpBcConfig> = {}, norms = { obs: unit(cfg.obsDim ?? small.obsDim), action: unit(cfg.actionDim ?? small.actionDim) }) =>
  new MlpBcPolicy({ ...small, ...cfg }, norms);

/** Full-batch AdamW, the trainer's way (tfjs keys gradients by the variable's own name). */
function fit(policy: MlpBcPolicy, batch: TrainBatch, steps: number, lr: number): number {
  const vars = policy.namedVariables();
  const byTfName = new Map([...vars].map(([n, v]) => [v.name, n]));
  const opt = new AdamW(vars, (n) => policy.weightDecay(n), { betas: [0.9, 0.999], eps: 1e-8 });
  policy.setTraining(true);
  let last = NaN;
  for (let s = 0; s < steps; s++) {
    const { value, grads } = tf.variableGrads(() => policy.loss(batch, s), [...vars.values()]);
    const named: Record<string, tf.Tensor> = {};
    for (const [k, g] of Object.entries(grads)) named[byTfName.get(k)!] = g;
    opt.step(named, lr);
    last = value.dataSync()[0];
    value.dispose();
    tf.dispose(Object.values(grads));
  }
  policy.setTraining(false);
  opt.dispose();
  return last;
}

const obsBatch = (data: Float32Array, B: number, To: number = small.obsHorizon, Do: number = small.obsDim) => ({ batchSize: B, obsHorizon: To, obsDim: Do, data });

describe('MlpBcPolicy', () => {
  it('has the closed-form parameter count of the pre-activation ResNet MLP', () => {
    const p = make();
    // In = To·Do, W = width, Out = Tp·Da, D = depth (width×width trunk layers, two per block):
    //   input Linear (In+1)·W  +  D·(W+1)·W  +  output Linear (W+1)·Out
    const In = 2 * 3, W = 16, Out = 6 * 2, D = 4;
    expect(p.parameterCount()).toBe((In + 1) * W + D * (W + 1) * W + (W + 1) * Out);
    expect([...p.namedVariables().keys()]).toEqual([
      'input.weight', 'input.bias',
      'blocks.0.linear1.weight', 'blocks.0.linear1.bias', 'blocks.0.linear2.weight', 'blocks.0.linear2.bias',
      'blocks.1.linear1.weight', 'blocks.1.linear1.bias', 'blocks.1.linear2.weight', 'blocks.1.linear2.bias',
      'output.weight', 'output.bias',
    ]);
    p.dispose();
    // The paper config (IBC Push-T): width 1024, depth 8, dropout 0.1, ReLU.
    const paper = parseMlpBcConfig({ obsDim: 20, actionDim: 2 });
    expect([paper.width, paper.depth, paper.dropout, paper.activation, paper.weightDecay]).toEqual([1024, 8, 0.1, 'relu', 0]);
  });

  it('regresses a bimodal target to the mean of its modes (mode averaging)', async () => {
    const p = make({ dropout: 0.1 });
    const B = 32, Tp = 6, Da = 2;
    const obs = new Float32Array(B * 2 * 3).fill(0.3); // one observation for every row
    const action = new Float32Array(B * Tp * Da);
    for (let b = 0; b < B; b++) action.fill(b % 2 ? 1 : -1, b * Tp * Da, (b + 1) * Tp * Da); // half +1, half −1
    const loss = fit(p, { batchSize: B, obs, action }, 300, 1e-3);
    expect(loss).toBeGreaterThan(0.9); // the irreducible MSE of averaging ±1 is 1
    const [seq] = await p.predictSequence(obsBatch(obs.subarray(0, 6), 1));
    for (const v of seq) expect(Math.abs(v)).toBeLessThan(0.1);
    p.dispose();
  });

  it('fits a unimodal linear target', async () => {
    const p = make({ dropout: 0, width: 32, depth: 2 });
    const B = 64, Tp = 6, Da = 2;
    let seed = 1;
    const r = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const obs = Float32Array.from({ length: B * 6 }, r);
    const target = (o: ArrayLike<number>, t: number, d: number) => 0.4 * o[0] - 0.3 * o[4] + 0.05 * t * (d ? -1 : 1);
    const action = new Float32Array(B * Tp * Da);
    for (let b = 0; b < B; b++) for (let t = 0; t < Tp; t++) for (let d = 0; d < Da; d++) action[(b * Tp + t) * Da + d] = target(obs.subarray(b * 6), t, d);
    expect(fit(p, { batchSize: B, obs, action }, 400, 3e-3)).toBeLessThan(5e-4);
    const test = Float32Array.from({ length: 6 }, r);
    const [seq] = await p.predictSequence(obsBatch(test, 1));
    for (let t = 0; t < Tp; t++) for (let d = 0; d < Da; d++) expect(seq[t * Da + d]).toBeCloseTo(target(test, t, d), 1);
    p.dispose();
  });

  it('returns the executed Ta × Da slice (indices To−1 … To−1+Ta−1), denormalized', async () => {
    // Raw action (t, d) = 10·t + d, normalized by limits [0, 100]; zero output weights make the bias the prediction.
    const norms = { obs: unit(3), action: LinearNormalizer.fromLimits([0, 0], [100, 100]) };
    const p = make({}, norms);
    const vars = p.namedVariables();
    const bias = Float32Array.from({ length: 12 }, (_, i) => (10 * Math.floor(i / 2) + (i % 2)) / 50 - 1);
    tf.tidy(() => {
      vars.get('output.weight')!.assign(tf.zerosLike(vars.get('output.weight')!));
      vars.get('output.bias')!.assign(tf.tensor1d(bias));
    });
    const chunks = await p.predictChunk(obsBatch(new Float32Array(2 * 6).fill(0.5), 2), { noiseSeeds: [1, 2] });
    expect(chunks).toHaveLength(2);
    for (const c of chunks) {
      expect(c).toHaveLength(3 * 2);
      Array.from(c).forEach((v, i) => expect(v).toBeCloseTo(10 * (1 + Math.floor(i / 2)) + (i % 2), 3)); // t = To−1+i/Da
    }
    p.dispose();
  });

  it('round-trips through toJSON/fromJSON and draws dropout only from the loss seed', () => {
    const p = make({ dropout: 0.5 });
    const q = MlpBcPolicy.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
    expect(q.cfg).toEqual(p.cfg);
    expect(q.normalizers.action.toJSON()).toEqual(p.normalizers.action.toJSON());
    const batch = { batchSize: 4, obs: new Float32Array(24).fill(0.2), action: new Float32Array(48).fill(0.5) };
    p.setTraining(true);
    const l = (s: number) => tf.tidy(() => p.loss(batch, s).dataSync()[0]);
    expect(l(7)).toBe(l(7));
    expect(l(7)).not.toBe(l(8));
    p.dispose();
    q.dispose();
  });

  it('leaks no tensors across loss and predictChunk', async () => {
    const p = make();
    p.setTraining(true);
    const batch = { batchSize: 2, obs: new Float32Array(12), action: new Float32Array(24) };
    const before = tf.memory().numTensors;
    p.loss(batch, 3).dispose();
    await p.predictChunk(obsBatch(new Float32Array(12), 2));
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });

  it('rejects bad configs and sizes with clear errors', async () => {
    expect(() => parseMlpBcConfig({ obsDim: 0, actionDim: 2 })).toThrow(/^mlp_bc config: obsDim: /);
    expect(() => parseMlpBcConfig({ obsDim: 3, actionDim: 2, depth: 3 })).toThrow(/mlp_bc config: depth: depth must be even/);
    expect(() => parseMlpBcConfig({ obsDim: 3, actionDim: 2, dropout: 1.5 })).toThrow(/mlp_bc config: dropout: /);
    expect(() => parseMlpBcConfig({ obsDim: 3, actionDim: 2, width: 8, bogus: 1 })).toThrow(/mlp_bc config: \(root\): /);
    expect(() => make({ actionHorizon: 6 })).toThrow(/mlp_bc: actionHorizon \(Ta=6\) must be <=/);
    expect(() => make({}, { obs: unit(4), action: unit(2) })).toThrow(/observation normalizer has 4 dims, the policy 3/);
    const p = make();
    await expect(p.predictChunk(obsBatch(new Float32Array(8), 2, 2, 2))).rejects.toThrow(/expects observation histories of 2 × 3, got 2 × 2/);
    await expect(p.predictChunk(obsBatch(new Float32Array(6), 1), { noiseSeeds: [1, 2] })).rejects.toThrow(/one seed per batch row \(1\), got 2/);
    await expect(p.predictChunk(obsBatch(new Float32Array(5), 1))).rejects.toThrow(/B × To × Do = 1 × 2 × 3 numbers, got 5/);
    expect(() => p.loss({ batchSize: 1, obs: new Float32Array(6), action: new Float32Array(5) }, 0)).toThrow(/B × Tp × Da = 1 × 6 × 2 numbers, got 5/);
    p.dispose();
  });
});
