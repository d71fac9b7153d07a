/** The public barrel: every layer together, tensor leaks, and a speed printout (not an assertion). */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import * as nn from '../../../policies/nn/index.ts';
import { randn, testRandom } from './reference.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A toy stack touching every layer and op: x [B, 8, 4], t [B] → [B, 8, 8]. */
class Toy extends nn.Module {
  conv = this.child('conv', new nn.Conv1d(4, 8, 3, nn.makeInit(1)));
  gn = this.child('gn', new nn.GroupNorm(2, 8));
  down = this.child('down', new nn.Conv1d(8, 8, 3, nn.makeInit(2), { stride: 2, padding: 1 }));
  up = this.child('up', new nn.ConvTranspose1d(8, 8, nn.makeInit(3)));
  lin = this.child('lin', new nn.Linear(8, 8, nn.makeInit(4)));
  ln = this.child('ln', new nn.LayerNorm(8));
  attn = this.child('attn', new nn.MultiheadAttention(8, 2, nn.makeInit(5), { dropout: 0.1, rng: new nn.Rng(6) }));
  emb = this.child('emb', new nn.SinusoidalPosEmb(8));
  drop = this.child('drop', new nn.Dropout(0.2, 7));

  forward(x: tf.Tensor3D, t: tf.Tensor1D): tf.Tensor3D {
    let h = nn.mish(this.gn.forward(this.conv.forward(x))) as tf.Tensor3D;
    h = this.up.forward(this.down.forward(h));
    h = tf.add(this.lin.forward(h), tf.expandDims(this.emb.forward(t), 1)) as tf.Tensor3D;
    const n = this.ln.forward(h) as tf.Tensor3D;
    const a = this.attn.forward(n, n, n, nn.attentionMask(8, 8, (q, k) => k <= q));
    return this.drop.forward(nn.gelu(tf.add(h, a))) as tf.Tensor3D;
  }
}

describe('policies/nn', () => {
  it('holds tf.memory().numTensors constant across forward and forward+backward steps', () => {
    const model = new Toy().train();
    const x = tf.tensor3d(randn(2 * 8 * 4, testRandom(1)), [2, 8, 4]);
    const t = tf.tensor1d([3, 40]);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(x, t))) as tf.Scalar, model.parameters());
      expect(Object.keys(grads)).toHaveLength(model.parameters().length);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step(); // first call may create lasting backend state; count from the second
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        model.forward(x, t);
      });
      step();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, t]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before - 2 - 16); // the inputs and the 16 parameters are gone
  });

  it('prints wasm timings of Conv1d and MultiheadAttention forward+backward at DP sizes', () => {
    // Median of n runs after one warm-up; the first step of the test also grows the wasm heap, so every
    // variant is warmed before any is timed.
    const time = (f: () => void, n = 5) => {
      const ts: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        f();
        ts.push(performance.now() - t0);
      }
      return ts.sort((a, b) => a - b)[n >> 1];
    };
    const fwdBwd = (loss: () => tf.Scalar, vars: tf.Variable[]) => () => {
      const { value, grads } = tf.variableGrads(loss, vars);
      tf.dispose([value, ...Object.values(grads)]);
    };
    const [B, T, C, k] = [64, 16, 256, 5];
    const conv = new nn.Conv1d(C, C, k, nn.makeInit(0));
    const x = tf.variable(tf.tensor3d(randn(B * T * C, testRandom(2)), [B, T, C]));
    const vars = [x, ...conv.parameters()];
    const forward = () => tf.tidy(() => void conv.forward(x).dataSync());
    const step = fwdBwd(() => tf.sum(conv.forward(x)), vars);
    // The same im2col with tf.matMul's own gradient (transpose flags) for comparison.
    const native = fwdBwd(() => {
        const xp = tf.pad(x, [[0, 0], [2, 2], [0, 0]]);
        const cols = tf.reshape(tf.concat(Array.from({ length: k }, (_, j) => tf.slice(xp, [0, j, 0], [B, T, C])), 2), [B * T, k * C]);
        return tf.sum(tf.add(tf.matMul(cols as tf.Tensor2D, conv.weight as tf.Tensor2D), conv.bias!));
      }, vars);
    const mha = new nn.MultiheadAttention(C, 4, nn.makeInit(1));
    const attn = fwdBwd(() => tf.sum(mha.forward(x, x, x)), [x, ...mha.parameters()]);
    for (const f of [forward, step, native, attn]) f();
    const ms = [time(forward), time(step), time(native, 3), time(attn)].map((t) => t.toFixed(1));
    console.log(
      `wasm, B=${B} T=${T} C=${C} (median ms): Conv1d k=${k} forward ${ms[0]}, forward+backward ${ms[1]} ` +
        `(same im2col with tfjs's matMul gradient: ${ms[2]}); MultiheadAttention(256, 4) self-attention forward+backward ${ms[3]}`,
    );
    x.dispose();
    conv.dispose();
    mha.dispose();
  });
});
