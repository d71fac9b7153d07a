import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../policies/nn/tf.ts';
import { initBackend } from '../../../src/backend.ts';
import { makeInit } from '../../../policies/nn/init.ts';
import { ResNet18Conv } from '../../../policies/vision/resnet.ts';
import { conv2dRef, groupNormRef, maxPool2dRef, maxRelErr, permute, randn, testRandom } from '../nn/reference.ts';
import { inScope, vals } from '../nn/grad-check.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

/**
 * ResNet-18's convolutional trunk by hand: conv1 7×7 (3→w), per stage two BasicBlocks of two 3×3 convs,
 * the first block of stages 2–4 with a 1×1 shortcut, every conv followed by a norm of 2C parameters
 * (BatchNorm's weight and bias, or GroupNorm's: the same count); no conv has a bias.
 */
function resnet18ConvParams(w: number, inC = 3): number {
  const conv = (i: number, o: number, k: number) => i * o * k * k;
  const norm = (c: number) => 2 * c;
  let n = conv(inC, w, 7) + norm(w);
  let c = w;
  for (let stage = 0; stage < 4; stage++) {
    const o = w << stage;
    for (let b = 0; b < 2; b++) {
      const i = b === 0 ? c : o;
      n += conv(i, o, 3) + norm(o) + conv(o, o, 3) + norm(o);
      if (b === 0 && stage > 0) n += conv(i, o, 1) + norm(o);
    }
    c = o;
  }
  return n;
}

/** A width-16 trunk on two 36×36 images (a 2×2 output), with non-trivial GroupNorm affines. */
function smallTrunk() {
  const shape: [number, number, number, number] = [2, 36, 36, 3];
  const net = new ResNet18Conv(3, makeInit(2), 16);
  const rand = testRandom(3);
  tf.tidy(() => {
    for (const [n, v] of net.namedParameters()) {
      if (/bn|downsample\.1|^nets\.1\./.test(n)) v.assign(tf.add(tf.tensor(randn(v.size, rand, 0.3)), n.endsWith('weight') ? 1 : 0));
    }
  });
  return { net, shape, x: randn(shape.reduce((a, b) => a * b, 1), testRandom(4)) };
}

/** Every parameter as float64 values in our layout (conv weights [k, k, in, out]). */
function paramValues(net: ResNet18Conv): Map<string, Float64Array> {
  return new Map([...net.namedParameters()].map(([n, v]) => [n, vals(v)]));
}

type Act = { v: Float64Array; H: number; C: number };

/** ResNet-18's trunk (BatchNorm → GroupNorm(C/16)) composed from the float64 torch references. */
function referenceTrunk(p: Map<string, Float64Array>, x: ArrayLike<number>, [N, S, , C]: number[]): Act {
  const conv = (a: Act, name: string, k: number, s: number): Act => {
    const w = p.get(`${name}.weight`)!;
    const O = w.length / (k * k * a.C);
    const r = conv2dRef(a.v, N, a.H, a.H, a.C, permute(w, [k, k, a.C, O], [3, 2, 0, 1]), O, k, s, k >> 1);
    return { v: r.y, H: r.Ho, C: O };
  };
  const gn = (a: Act, name: string): Act => ({ ...a, v: groupNormRef(a.v, N, a.H * a.H, a.C, a.C / 16, p.get(`${name}.weight`)!, p.get(`${name}.bias`)!, 1e-5) });
  const relu = (a: Act): Act => ({ ...a, v: a.v.map((v) => Math.max(0, v)) });
  let h = relu(gn(conv({ v: Float64Array.from(x), H: S, C }, 'nets.0', 7, 2), 'nets.1'));
  const mp = maxPool2dRef(h.v, N, h.H, h.H, h.C, 3, 2, 1);
  h = { v: mp.y, H: mp.Ho, C: h.C };
  for (let stage = 0; stage < 4; stage++)
    for (let b = 0; b < 2; b++) {
      const pre = `nets.${4 + stage}.${b}`;
      const s = stage > 0 && b === 0 ? 2 : 1;
      const body = gn(conv(relu(gn(conv(h, `${pre}.conv1`, 3, s), `${pre}.bn1`)), `${pre}.conv2`, 3, 1), `${pre}.bn2`);
      const short = s === 2 ? gn(conv(h, `${pre}.downsample.0`, 1, 2), `${pre}.downsample.1`) : h;
      h = relu({ ...body, v: body.v.map((v, i) => v + short.v[i]) });
    }
  return h;
}

describe('ResNet18Conv', () => {
  it('has torchvision resnet18\'s parameters without fc: 11,176,512 (BatchNorm → GroupNorm keeps the count)', () => {
    // torchvision resnet18 has 11,689,512 parameters; its fc (512·1000 + 1000) is dropped by robomimic's ResNet18Conv.
    expect(resnet18ConvParams(64)).toBe(11_689_512 - (512 * 1000 + 1000));
    const net = new ResNet18Conv(3, makeInit(0));
    expect(net.parameterCount()).toBe(11_176_512);
    expect(new ResNet18Conv(3, makeInit(0), 16).parameterCount()).toBe(resnet18ConvParams(16));
    const names = [...net.namedParameters().keys()];
    expect(names.slice(0, 3)).toEqual(['nets.0.weight', 'nets.1.weight', 'nets.1.bias']);
    expect(names).toContain('nets.5.0.downsample.0.weight');
    expect(names).toContain('nets.7.1.bn2.bias');
    expect(names.filter((n) => n.endsWith('.bias') && !/bn|downsample\.1|nets\.1\./.test(n))).toEqual([]); // convs have no bias
    expect(net.outSize(84)).toBe(3);
    expect(net.outSize(96)).toBe(3);
    net.dispose();
  });

  it('uses GroupNorm(C/16, C) throughout and torchvision\'s conv init N(0, √(2/(out·k²)))', () => {
    const net = new ResNet18Conv(3, makeInit(1));
    const w = vals(net.namedParameters().get('nets.6.0.conv2.weight')!); // 256→256, 3×3: std √(2/2304)
    const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    expect(std / Math.sqrt(2 / (256 * 9))).toBeCloseTo(1, 2);
    const groups = (net as unknown as { blocks: Array<{ bn1: { groups: number; channels: number } }> }).blocks.map((b) => [b.bn1.channels, b.bn1.groups]);
    expect(groups).toEqual([[64, 4], [64, 4], [128, 8], [128, 8], [256, 16], [256, 16], [512, 32], [512, 32]]);
    net.dispose();
  });

  it('forward equals a float64 composition of torch Conv2d, GroupNorm, ReLU and MaxPool2d in ResNet-18\'s wiring', () => {
    const { net, x, shape } = smallTrunk();
    const y = inScope(() => vals(net.forward(tf.tensor4d(x, shape))));
    const ref = referenceTrunk(paramValues(net), x, shape);
    expect([ref.H, ref.C]).toEqual([net.outSize(shape[1]), 8 * net.width]);
    expect(maxRelErr(y, ref.v)).toBeLessThan(1e-4);
    net.dispose();
  });

  it('parameter gradients match finite differences of the float64 reference through the whole trunk', () => {
    // Differencing our float32 forward does not work this deep: Σ y·r is smooth only between ReLU and max-pool
    // kinks, which a ±1e-2 step crosses (the quotient of a conv1 weight was off by 7–50%, converging to the
    // gradient as the step shrank), and below ±3e-4 float32 noise through twenty layers scatters it by ±1–4%.
    // The float64 reference, differenced at ±1e-6, has neither problem.
    const { net, x, shape } = smallTrunk();
    const y = inScope(() => net.forward(tf.tensor4d(x, shape)).shape);
    const r = randn(y.reduce((a, b) => a * b, 1), testRandom(8));
    const named = net.namedParameters();
    const grads = inScope(() => {
      const xt = tf.tensor4d(x, shape);
      const { value, grads: g } = tf.variableGrads(() => tf.sum(tf.mul(net.forward(xt), tf.tensor(r, y))) as tf.Scalar, [...named.values()]);
      value.dispose();
      return new Map([...named].map(([n, v]) => [n, vals(g[v.name])]));
    });
    const p = paramValues(net);
    const L = () => referenceTrunk(p, x, shape).v.reduce((a, v, i) => a + v * r[i], 0);
    const rand = testRandom(9);
    const worst: Record<string, number> = {};
    for (const name of ['nets.0.weight', 'nets.1.bias', 'nets.4.0.conv1.weight', 'nets.5.0.downsample.0.weight', 'nets.6.1.bn1.weight', 'nets.7.1.conv2.weight']) {
      const v = p.get(name)!;
      const g = grads.get(name)!;
      const rms = Math.sqrt(g.reduce((a, b) => a + b * b, 0) / g.length);
      worst[name] = 0;
      for (let c = 0; c < 3; c++) {
        const i = Math.floor(rand() * v.length);
        const orig = v[i];
        v[i] = orig + 1e-6;
        const Lp = L();
        v[i] = orig - 1e-6;
        const Lm = L();
        v[i] = orig;
        const fd = (Lp - Lm) / 2e-6;
        const err = Math.abs(fd - g[i]) / Math.max(Math.abs(g[i]), rms);
        worst[name] = Math.max(worst[name], err);
        expect(err, `${name}[${i}]: float64 finite difference ${fd} vs gradient ${g[i]}`).toBeLessThan(1e-3);
      }
    }
    console.log('ResNet18Conv (width 16) worst |fd − g|/scale against the float64 reference:', JSON.stringify(worst));
    net.dispose();
  });
});
