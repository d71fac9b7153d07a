/**
 * Multimodality metrics (fact sheet §7): mode histograms and their entropy / divergence from the
 * demonstrations (D3IL §7.4, BET §7.3), per-rollout commitment and switch rate (§7.5, proposed for this
 * project), and the diversity of a policy's sampled action chunks for one observation. Pure TypeScript.
 */

/** Counts per mode; an array is read as counts over modes 0..M−1. */
export type Histogram = Readonly<Record<string, number>> | readonly number[];

/** Labels that express no mode (Push-T's `none`, envs/push-t/modes.ts); skipped by the sequence metrics. */
export const NEUTRAL_LABELS: readonly string[] = ['none'];

function checkModes(fn: string, modes: readonly string[]): void {
  if (modes.length === 0) throw new Error(`${fn}: modes must list at least one mode, got []`);
  if (new Set(modes).size !== modes.length) throw new Error(`${fn}: modes must be distinct, got [${modes.join(', ')}]`);
}

/** count(m) over the listed modes; every mode gets a key (0 if unseen). An unlisted label throws. */
export function modeHistogram(labels: readonly string[], modes: readonly string[]): Record<string, number> {
  checkModes('modeHistogram', modes);
  const h: Record<string, number> = Object.fromEntries(modes.map((m) => [m, 0]));
  for (const [i, l] of labels.entries()) {
    if (!Object.hasOwn(h, l)) throw new Error(`modeHistogram: label ${JSON.stringify(l)} at index ${i} is not one of the modes [${modes.join(', ')}]`);
    h[l]++;
  }
  return h;
}

/** Counts of a histogram over `keys` (default: its own keys / indices), checked to be finite and ≥ 0. */
function counts(fn: string, name: string, h: Histogram, keys?: readonly string[]): { keys: string[]; c: number[] } {
  const rec = Array.isArray(h) ? Object.fromEntries(h.map((v, i) => [String(i), v])) : (h as Record<string, number>);
  const ks = keys ? [...keys] : Object.keys(rec);
  for (const k of Object.keys(rec)) {
    if (!ks.includes(k) && rec[k] !== 0) throw new Error(`${fn}: ${name} has count ${rec[k]} for ${JSON.stringify(k)}, which is not one of the modes [${ks.join(', ')}]`);
  }
  const c = ks.map((k) => rec[k] ?? 0);
  c.forEach((v, i) => {
    if (!(Number.isFinite(v) && v >= 0)) throw new Error(`${fn}: ${name}[${JSON.stringify(ks[i])}] must be a finite count ≥ 0, got ${v}`);
  });
  return { keys: ks, c };
}

/** −p ln p with 0 ln 0 = 0 (written p ln(1/p) so a one-hot gives +0, not −0). */
const surprisal = (p: number): number => (p > 0 ? p * Math.log(1 / p) : 0);

/**
 * Normalized entropy H = −Σ_m p(m) log p(m) / log M over the M listed modes (default: the histogram's
 * keys), p = count / total; D3IL's behaviour entropy (§7.4) for one context. In [0, 1]: 1 for a uniform
 * histogram, 0 for a one-hot, a single-mode (M = 1) or an empty histogram.
 */
export function normalizedEntropy(hist: Histogram, modes?: readonly string[]): number {
  if (modes) checkModes('normalizedEntropy', modes);
  const { c } = counts('normalizedEntropy', 'hist', hist, modes);
  const total = c.reduce((a, b) => a + b, 0);
  if (c.length < 2 || total === 0) return 0;
  return c.reduce((a, v) => a + surprisal(v / total), 0) / Math.log(c.length);
}

/** Two histograms as probability vectors over the same modes (key sets must match, missing = 0). */
function probPair(fn: string, p: Histogram, q: Histogram): [number[], number[]] {
  if (Array.isArray(p) !== Array.isArray(q)) throw new Error(`${fn}: p and q must both be arrays or both be records`);
  const keys = [...new Set([...Object.keys(p), ...Object.keys(q)])];
  if (Array.isArray(p) && p.length !== q.length) throw new Error(`${fn}: p has ${p.length} modes but q has ${q.length}; expected the same modes`);
  return [counts(fn, 'p', p, keys).c, counts(fn, 'q', q, keys).c].map((c, j) => {
    const t = c.reduce((a, b) => a + b, 0);
    if (t === 0) throw new Error(`${fn}: ${j ? 'q' : 'p'} is empty (total count 0); expected at least one count to normalize`);
    return c.map((v) => v / t);
  }) as [number[], number[]];
}

/**
 * KL(p‖q) = Σ_m p(m) log₂(p(m)/q(m)) in bits, 0·log 0 = 0; +∞ when p puts mass where q has none.
 * (D3IL's KL, §7.4, is this with natural logs divided by log M — i.e. this value / log₂ M.)
 */
export function klDivergence(p: Histogram, q: Histogram): number {
  const [pp, qq] = probPair('klDivergence', p, q);
  let kl = 0;
  for (let i = 0; i < pp.length; i++) if (pp[i] > 0) kl += qq[i] > 0 ? pp[i] * Math.log2(pp[i] / qq[i]) : Infinity;
  return kl;
}

/**
 * Jensen–Shannon divergence JS(p, q) = ½ KL(p‖m) + ½ KL(q‖m), m = ½(p + q), base-2 logs, each histogram
 * normalized first. Symmetric, finite, in [0, 1]: 0 iff p = q, 1 for disjoint supports.
 */
export function jsDivergence(p: Histogram, q: Histogram): number {
  const [pp, qq] = probPair('jsDivergence', p, q);
  let js = 0;
  for (let i = 0; i < pp.length; i++) {
    const m = (pp[i] + qq[i]) / 2;
    if (pp[i] > 0) js += 0.5 * pp[i] * Math.log2(pp[i] / m);
    if (qq[i] > 0) js += 0.5 * qq[i] * Math.log2(qq[i] / m);
  }
  return Math.min(1, Math.max(0, js));
}

/** Each rollout's labels with the neutral ones dropped; rollouts with < 2 labelled entries are skipped. */
function labelled(fn: string, stepLabels: readonly (readonly string[])[], neutral: readonly string[]): string[][] {
  if (!Array.isArray(stepLabels)) throw new Error(`${fn}: stepLabels must be an array of per-rollout label arrays, got ${typeof stepLabels}`);
  return stepLabels
    .map((seq, r) => {
      if (!Array.isArray(seq)) throw new Error(`${fn}: stepLabels[${r}] must be an array of labels, got ${typeof seq}`);
      return seq.filter((l) => !neutral.includes(l));
    })
    .filter((seq) => seq.length >= 2);
}

/**
 * Commitment (§7.5, proposed for this project after DP Fig. 3): for each rollout's per-chunk (or
 * per-step) labels, max_m n_m / Σ_m n_m over the labelled entries (neutral labels, default `none`,
 * ignored); the mean over rollouts. 1 = never switches; 0.5 = an even split (two modes).
 * Rollouts with fewer than 2 labelled entries say nothing about switching and are skipped; NaN when no
 * rollout qualifies.
 */
export function commitment(stepLabels: readonly (readonly string[])[], neutral: readonly string[] = NEUTRAL_LABELS): number {
  const seqs = labelled('commitment', stepLabels, neutral);
  if (seqs.length === 0) return NaN;
  return seqs.reduce((a, seq) => {
    const n = new Map<string, number>();
    for (const l of seq) n.set(l, (n.get(l) ?? 0) + 1);
    return a + Math.max(...n.values()) / seq.length;
  }, 0) / seqs.length;
}

/**
 * Switch rate (§7.5): for each rollout, (# changes between consecutive labelled entries) / (# labelled − 1),
 * neutral labels dropped first (so `cw none cw` has no switch); the mean over rollouts. 0 = never switches,
 * 1 = switches at every chunk. Same skipping rule as `commitment`; NaN when no rollout qualifies.
 */
export function switchRate(stepLabels: readonly (readonly string[])[], neutral: readonly string[] = NEUTRAL_LABELS): number {
  const seqs = labelled('switchRate', stepLabels, neutral);
  if (seqs.length === 0) return NaN;
  return seqs.reduce((a, seq) => a + seq.slice(1).filter((l, i) => l !== seq[i]).length / (seq.length - 1), 0) / seqs.length;
}

export interface ActionDiversity {
  clusters: number; // single-linkage clusters: connected components of the graph ‖xᵢ − xⱼ‖ ≤ radius
  sizes: number[]; // cluster sizes, largest first
  spread: number; // mean Euclidean distance of the points to their overall centroid
  maxPairwise: number; // largest distance between two points (0 for one point)
}

/**
 * Diversity of K sampled chunk endpoints (K × D, row-major), e.g. the last action of the chunk predicted
 * for one observation under K noise seeds: a multimodal policy gives several well-separated clusters, a
 * unimodal one a single cloud. Clustering is single linkage cut at `radius` (deterministic and
 * independent of the order of the points). Endpoints should be in one unit (raw env or normalized).
 */
export function actionDiversity(endpoints: Float32Array | readonly number[], D: number, opts: { radius: number }): ActionDiversity {
  if (!Number.isInteger(D) || D < 1) throw new Error(`actionDiversity: D must be a positive integer, got ${D}`);
  const K = endpoints.length / D;
  if (!Number.isInteger(K) || K < 1) throw new Error(`actionDiversity: endpoints must hold K ≥ 1 rows of D=${D} numbers, got ${endpoints.length} numbers`);
  if (!(Number.isFinite(opts?.radius) && opts.radius >= 0)) throw new Error(`actionDiversity: opts.radius must be a finite number ≥ 0, got ${opts?.radius}`);
  for (let i = 0; i < endpoints.length; i++) {
    if (!Number.isFinite(endpoints[i])) throw new Error(`actionDiversity: endpoints[${i}] (row ${Math.floor(i / D)}) must be finite, got ${endpoints[i]}`);
  }
  const row = (i: number) => endpoints.slice(i * D, (i + 1) * D) as ArrayLike<number>;
  const dist = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.hypot(...Array.from(a, (v, d) => v - b[d]));
  const parent = Array.from({ length: K }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  let maxPairwise = 0;
  for (let i = 0; i < K; i++) {
    for (let j = i + 1; j < K; j++) {
      const d = dist(row(i), row(j));
      maxPairwise = Math.max(maxPairwise, d);
      if (d <= opts.radius) parent[find(i)] = find(j);
    }
  }
  const size = new Map<number, number>();
  for (let i = 0; i < K; i++) size.set(find(i), (size.get(find(i)) ?? 0) + 1);
  const centroid = Array.from({ length: D }, (_, d) => Array.from({ length: K }, (_, i) => endpoints[i * D + d]).reduce((a, b) => a + b, 0) / K);
  const spread = Array.from({ length: K }, (_, i) => dist(row(i), centroid)).reduce((a, b) => a + b, 0) / K;
  return { clusters: size.size, sizes: [...size.values()].sort((a, b) => b - a), spread, maxPairwise };
}

export interface ModeSummary {
  demoHistogram: Record<string, number>;
  rolloutHistogram: Record<string, number>;
  demoEntropy: number; // normalizedEntropy of each histogram
  rolloutEntropy: number;
  jsToDemos: number; // JS(rollouts, demos) in bits; NaN when either side has no labelled trajectory
  neutral: { demo: number; rollout: number }; // trajectories dropped for a neutral label (Push-T `none`)
}

/**
 * The leaderboard's mode block: one label per trajectory (envs/push-t/modes.ts `labelMode`) for the
 * demonstrations and the rollouts, histogrammed over `modes` after dropping neutral labels; their
 * normalized entropies and the JS divergence of the rollout modes from the demo modes.
 */
export function summarizeModes(demoLabels: readonly string[], rolloutLabels: readonly string[], modes: readonly string[], neutral: readonly string[] = NEUTRAL_LABELS): ModeSummary {
  checkModes('summarizeModes', modes);
  const clash = modes.find((m) => neutral.includes(m));
  if (clash !== undefined) throw new Error(`summarizeModes: mode ${JSON.stringify(clash)} is also a neutral label; expected modes and neutral [${neutral.join(', ')}] to be disjoint`);
  const keep = (ls: readonly string[]) => ls.filter((l) => !neutral.includes(l));
  const demoHistogram = modeHistogram(keep(demoLabels), modes);
  const rolloutHistogram = modeHistogram(keep(rolloutLabels), modes);
  const bothLabelled = keep(demoLabels).length > 0 && keep(rolloutLabels).length > 0;
  return {
    demoHistogram,
    rolloutHistogram,
    demoEntropy: normalizedEntropy(demoHistogram, modes),
    rolloutEntropy: normalizedEntropy(rolloutHistogram, modes),
    jsToDemos: bothLabelled ? jsDivergence(rolloutHistogram, demoHistogram) : NaN,
    neutral: { demo: demoLabels.length - keep(demoLabels).length, rollout: rolloutLabels.length - keep(rolloutLabels).length },
  };
}
