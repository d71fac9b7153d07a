/**
 * Direct float64 loop implementations of the PyTorch definitions (docs of torch.nn.*), written from the
 * formulas and not from policies/nn, plus the documented weight-layout conversions. Arrays are flat,
 * row-major; sequences are channels-last [B, T, C] like the layers under test.
 */

/** Mulberry32: test data only (independent of policies/nn/init.ts). */
export function testRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randn(n: number, rand: () => number, scale = 1): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = scale * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return v;
}

/** torch Linear: y = x·Wᵀ + b with W [out, in]; x [N, in]. */
export function linearRef(x: ArrayLike<number>, N: number, W: ArrayLike<number>, inF: number, outF: number, b?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(N * outF);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inF; i++) s += x[n * inF + i] * W[o * inF + i];
      y[n * outF + o] = s;
    }
  return y;
}

/** torch Conv1d: y[b, o, t] = bias[o] + Σ_c Σ_j W[o, c, j]·x[b, c, t·s + j − p] (zero outside). */
export function conv1dRef(x: ArrayLike<number>, B: number, T: number, C: number, W: ArrayLike<number>, O: number, k: number, s: number, p: number, bias?: ArrayLike<number>) {
  const To = Math.floor((T + 2 * p - k) / s) + 1;
  const y = new Float64Array(B * To * O);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < To; t++)
      for (let o = 0; o < O; o++) {
        let acc = bias ? bias[o] : 0;
        for (let c = 0; c < C; c++)
          for (let j = 0; j < k; j++) {
            const ti = t * s + j - p;
            if (ti >= 0 && ti < T) acc += W[(o * C + c) * k + j] * x[(b * T + ti) * C + c];
          }
        y[(b * To + t) * O + o] = acc;
      }
  return { y, To };
}

/** torch ConvTranspose1d: y[b, o, i·s − p + j] += Σ_c x[b, c, i]·W[c, o, j]; + bias[o]. */
export function convTranspose1dRef(x: ArrayLike<number>, B: number, T: number, C: number, W: ArrayLike<number>, O: number, k: number, s: number, p: number, bias?: ArrayLike<number>) {
  const To = (T - 1) * s - 2 * p + k;
  const y = new Float64Array(B * To * O);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < To; t++) for (let o = 0; o < O; o++) y[(b * To + t) * O + o] = bias ? bias[o] : 0;
  for (let b = 0; b < B; b++)
    for (let i = 0; i < T; i++)
      for (let j = 0; j < k; j++) {
        const t = i * s - p + j;
        if (t < 0 || t >= To) continue;
        for (let o = 0; o < O; o++) {
          let acc = 0;
          for (let c = 0; c < C; c++) acc += x[(b * T + i) * C + c] * W[(c * O + o) * k + j];
          y[(b * To + t) * O + o] += acc;
        }
      }
  return { y, To };
}

/** torch GroupNorm on [B, T, C]: statistics over (T × C/G channels) per sample and group, biased variance. */
export function groupNormRef(x: ArrayLike<number>, B: number, T: number, C: number, G: number, w: ArrayLike<number>, bias: ArrayLike<number>, eps: number): Float64Array {
  const y = new Float64Array(B * T * C);
  const cg = C / G;
  for (let b = 0; b < B; b++)
    for (let g = 0; g < G; g++) {
      let m = 0;
      let n = 0;
      for (let t = 0; t < T; t++) for (let c = g * cg; c < (g + 1) * cg; c++) (m += x[(b * T + t) * C + c]), n++;
      m /= n;
      let v = 0;
      for (let t = 0; t < T; t++) for (let c = g * cg; c < (g + 1) * cg; c++) v += (x[(b * T + t) * C + c] - m) ** 2;
      v /= n;
      for (let t = 0; t < T; t++)
        for (let c = g * cg; c < (g + 1) * cg; c++) {
          const i = (b * T + t) * C + c;
          y[i] = ((x[i] - m) / Math.sqrt(v + eps)) * w[c] + bias[c];
        }
    }
  return y;
}

/** torch LayerNorm over the last axis of [N, C]. */
export function layerNormRef(x: ArrayLike<number>, N: number, C: number, w: ArrayLike<number>, bias: ArrayLike<number>, eps: number): Float64Array {
  return groupNormRef(x, N, 1, C, 1, w, bias, eps);
}

/** diffusion_policy SinusoidalPosEmb. */
export function sinusoidalRef(t: ArrayLike<number>, dim: number): Float64Array {
  const half = dim / 2;
  const scale = Math.log(10000) / (half - 1);
  const y = new Float64Array(t.length * dim);
  for (let b = 0; b < t.length; b++)
    for (let k = 0; k < half; k++) {
      const a = t[b] * Math.exp(-k * scale);
      y[b * dim + k] = Math.sin(a);
      y[b * dim + half + k] = Math.cos(a);
    }
  return y;
}

/** erf by its Maclaurin series in float64 (|x| ≤ 5: error < 1e-12). */
export function erfRef(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/**
 * torch nn.MultiheadAttention (batch_first) forward with torch-layout weights: inW [3E, E], inB [3E],
 * outW [E, E], outB [E]; additive mask [Tq, Tk] or none.
 */
export function mhaRef(
  q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, B: number, Tq: number, Tk: number, E: number, H: number,
  inW: ArrayLike<number>, inB: ArrayLike<number> | undefined, outW: ArrayLike<number>, outB: ArrayLike<number> | undefined, mask?: ArrayLike<number>,
): Float64Array {
  const rows = (from: number) => Array.from({ length: E * E }, (_, i) => inW[from * E * E + i]);
  const bias = (from: number) => (inB ? Array.from({ length: E }, (_, i) => inB[from * E + i]) : undefined);
  const Q = linearRef(q, B * Tq, rows(0), E, E, bias(0));
  const K = linearRef(k, B * Tk, rows(1), E, E, bias(1));
  const V = linearRef(v, B * Tk, rows(2), E, E, bias(2));
  const dh = E / H;
  const cat = new Float64Array(B * Tq * E);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < Tq; i++) {
        const sc = new Float64Array(Tk);
        let mx = -Infinity;
        for (let j = 0; j < Tk; j++) {
          let s = 0;
          for (let d = 0; d < dh; d++) s += Q[(b * Tq + i) * E + h * dh + d] * K[(b * Tk + j) * E + h * dh + d];
          sc[j] = s / Math.sqrt(dh) + (mask ? mask[i * Tk + j] : 0);
          mx = Math.max(mx, sc[j]);
        }
        let z = 0;
        for (let j = 0; j < Tk; j++) z += sc[j] = Math.exp(sc[j] - mx);
        for (let d = 0; d < dh; d++) {
          let acc = 0;
          for (let j = 0; j < Tk; j++) acc += (sc[j] / z) * V[(b * Tk + j) * E + h * dh + d];
          cat[(b * Tq + i) * E + h * dh + d] = acc;
        }
      }
  return linearRef(cat, B * Tq, outW, E, E, outB);
}

/** Permutes a row-major array of `shape` by `perm` (numpy.transpose). */
export function permute(a: ArrayLike<number>, shape: number[], perm: number[]): Float64Array {
  const out = new Float64Array(a.length);
  const newShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((x, y) => x * y, 1));
  const idx = new Array(newShape.length).fill(0);
  for (let n = 0; n < a.length; n++) {
    let src = 0;
    for (let d = 0; d < perm.length; d++) src += idx[d] * strides[perm[d]];
    out[n] = a[src];
    for (let d = newShape.length - 1; d >= 0; d--) {
      if (++idx[d] < newShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** max |a − b| / (scale) with scale = max(1, max|b|). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 1;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(b[i]));
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e / m;
}

/**
 * torch Conv2d on channels-last images: y[b, h, w, o] = bias[o] + Σ_{c,i,j} W[o, c, i, j]·x[b, h·s + i − p, w·s + j − p, c]
 * (zero outside); W in torch's [out, in, k, k] layout.
 */
export function conv2dRef(x: ArrayLike<number>, B: number, H: number, Wd: number, C: number, W: ArrayLike<number>, O: number, k: number, s: number, p: number, bias?: ArrayLike<number>) {
  const Ho = Math.floor((H + 2 * p - k) / s) + 1;
  const Wo = Math.floor((Wd + 2 * p - k) / s) + 1;
  const y = new Float64Array(B * Ho * Wo * O);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Ho; h++)
      for (let w = 0; w < Wo; w++)
        for (let o = 0; o < O; o++) {
          let acc = bias ? bias[o] : 0;
          for (let i = 0; i < k; i++) {
            const hi = h * s + i - p;
            if (hi < 0 || hi >= H) continue;
            for (let j = 0; j < k; j++) {
              const wi = w * s + j - p;
              if (wi < 0 || wi >= Wd) continue;
              for (let c = 0; c < C; c++) acc += W[((o * C + c) * k + i) * k + j] * x[((b * H + hi) * Wd + wi) * C + c];
            }
          }
          y[((b * Ho + h) * Wo + w) * O + o] = acc;
        }
  return { y, Ho, Wo };
}

/** torch MaxPool2d(k, s, p) on channels-last images: max over the window's in-bounds pixels (−∞ padding). */
export function maxPool2dRef(x: ArrayLike<number>, B: number, H: number, Wd: number, C: number, k: number, s: number, p: number) {
  const Ho = Math.floor((H + 2 * p - k) / s) + 1;
  const Wo = Math.floor((Wd + 2 * p - k) / s) + 1;
  const y = new Float64Array(B * Ho * Wo * C);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Ho; h++)
      for (let w = 0; w < Wo; w++)
        for (let c = 0; c < C; c++) {
          let m = -Infinity;
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) {
              const hi = h * s + i - p;
              const wi = w * s + j - p;
              if (hi >= 0 && hi < H && wi >= 0 && wi < Wd) m = Math.max(m, x[((b * H + hi) * Wd + wi) * C + c]);
            }
          y[((b * Ho + h) * Wo + w) * C + c] = m;
        }
  return { y, Ho, Wo };
}
