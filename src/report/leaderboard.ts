/**
 * The leaderboard: one row per (env, policy), written as results/leaderboard.{json,md}; the README's
 * table between `<!-- leaderboard:start -->` and `<!-- leaderboard:end -->` is replaced by the markdown.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import type { Interval } from '../eval/metrics.ts';
import { writeReport } from './html.ts';
import type { LatencyRow } from '../eval/latency.ts';
import type { DiversityProbe } from '../eval/diversity.ts';

/** A statistic across training seeds (or checkpoints): mean, sample std (0 for one value), the values. */
export interface SeedStat {
  mean: number;
  std: number;
  values: number[];
}

export interface LeaderboardRow {
  env: string;
  policy: string;
  /** Observation type the policy saw. */
  obs: string;
  episodes: number;
  avgMaxReward: Interval;
  successRate: Interval;
  avgFinalCoverage: Interval;
  avgLength: number;
  /** Task events (BlockStack-v0: p1, p2 = at least one / two cubes placed): share of episodes, 95% Wilson. */
  events?: Record<string, Interval>;
  /** Mode histogram of the rollouts (behaviour modes; `none`: no mode expressed) and JS divergence to the demos. */
  modes?: { histogram: Record<string, number>; none: number; jsToDemos: number; entropy: number; commitment: number | null; switchRate: number | null };
  /** Path of the row's eval_info.json (first training seed, last checkpoint), relative to results/. */
  evalInfo: string;
  /** The row's run folder (first training seed), relative to results/. */
  run?: string;
  /** Trained rows: the last checkpoint's mean max score and success rate across training seeds. */
  trainingSeeds?: { seeds: number[]; avgMaxReward: SeedStat; successRate: SeedStat };
  /** Trained rows: mean and best mean-max-score over each seed's last k checkpoints, across seeds. */
  checkpoints?: { lastK: number; steps: number; sampler: string; meanOfLastK: SeedStat; bestOfLastK: SeedStat };
  /** ms per action chunk (one batched policy call), per sampler and batch size. */
  latency?: LatencyRow[];
  /** The action-diversity probe (K noise seeds on one multimodal start). */
  diversity?: DiversityProbe;
}

export interface Leaderboard {
  generated: string;
  /** The bench profile that produced it (smoke, quick, paper). */
  profile?: string;
  protocol: string;
  /** Per env: the demonstrations' mode histogram every row is compared with. */
  demos?: Record<string, { episodes: number; histogram: Record<string, number>; none: number }>;
  rows: LeaderboardRow[];
}

/** `0.947 [0.85, 0.98]`: a value and its 95% interval, as every table shows it. */
export const formatInterval = (iv: Interval) => `${iv.value.toFixed(3)} [${iv.low.toFixed(2)}, ${iv.high.toFixed(2)}]`;

export function leaderboardMarkdown(lb: Leaderboard): string {
  const head = '| env | policy | obs | episodes | mean max score [95% CI] | success rate [95% CI] | final coverage [95% CI] | events | score across seeds | mean length | modes | JS to demos | commitment | diversity | run |';
  const sep = '|---|---|---|---:|---|---|---|---|---|---:|---|---:|---:|---|---|';
  const modes = (r: LeaderboardRow) =>
    r.modes ? [...Object.entries(r.modes.histogram).map(([m, n]) => `${m} ${n}`), `none ${r.modes.none}`].join(' · ') : '–';
  const js = (r: LeaderboardRow) => (r.modes && Number.isFinite(r.modes.jsToDemos) ? r.modes.jsToDemos.toFixed(3) : '–');
  const commit = (r: LeaderboardRow) => (r.modes?.commitment != null ? r.modes.commitment.toFixed(2) : '–');
  const seeds = (r: LeaderboardRow) =>
    r.trainingSeeds ? `${r.trainingSeeds.avgMaxReward.mean.toFixed(3)} ± ${r.trainingSeeds.avgMaxReward.std.toFixed(3)} (${r.trainingSeeds.seeds.length} seed${r.trainingSeeds.seeds.length > 1 ? 's' : ''}, step ${r.checkpoints?.steps ?? '?'}, ${r.checkpoints?.sampler ?? ''})` : '–';
  const events = (r: LeaderboardRow) => (r.events ? Object.entries(r.events).map(([k, iv]) => `${k} ${iv.value.toFixed(2)}`).join(' · ') : '–');
  const div = (r: LeaderboardRow) => (r.diversity ? `${r.diversity.clusters} cluster${r.diversity.clusters > 1 ? 's' : ''} of ${r.diversity.K} (${r.diversity.sizes.join('/')})` : '–');
  const link = (r: LeaderboardRow) => `[eval_info](results/${r.evalInfo})${r.run ? ` · [run](results/${r.run})` : ''}`;
  const rows = lb.rows.map(
    (r) =>
      `| ${r.env} | ${r.policy} | ${r.obs} | ${r.episodes} | ${formatInterval(r.avgMaxReward)} | ${formatInterval(r.successRate)} | ${formatInterval(r.avgFinalCoverage)} | ${events(r)} | ${seeds(r)} | ${r.avgLength.toFixed(1)} | ${modes(r)} | ${js(r)} | ${commit(r)} | ${div(r)} | ${link(r)} |`,
  );
  const lat = lb.rows.flatMap((r) => {
    if (!r.latency?.length) return [];
    const bySampler = new Map<string, string[]>();
    for (const l of r.latency) bySampler.set(l.sampler, [...(bySampler.get(l.sampler) ?? []), `${l.ms_median.toFixed(1)} ms @ batch ${l.batch}`]);
    return [...bySampler].map(([sampler, cells]) => `| ${r.env} | ${r.policy} | ${r.obs} | ${sampler} | ${cells.join(' · ')} |`);
  });
  const latency = lat.length ? ['', 'Latency (median ms per action chunk, one batched policy call):', '', '| env | policy | obs | sampler | ms per chunk |', '|---|---|---|---|---|', ...lat] : [];
  return [`_${lb.protocol}_`, '', head, sep, ...rows, ...latency, ''].join('\n');
}

/** The score and mode plots of each env (results/figures/, as index.html draws them), as Markdown images. */
function figuresMarkdown(ids: readonly string[]): string {
  const shown = ids.filter((id) => /^(scores|modes)-/.test(id));
  if (!shown.length) return '';
  const alt = (id: string) => (id.startsWith('scores-') ? `${id.slice(7)}: scores with 95% intervals` : `${id.slice(6)}: modes against the demonstrations`);
  return ['', 'Plots (the same as on `results/index.html`; bars link to their runs there):', '', ...shown.map((id) => `![${alt(id)}](results/figures/${id}.svg)`), ''].join('\n');
}

/** Writes leaderboard.{json,md}, index.html (the HTML report) and its figures to `resultsDir`, and the README's table. */
export async function writeLeaderboard(resultsDir: string, lb: Leaderboard, readme?: string): Promise<void> {
  writeJsonAtomic(path.join(resultsDir, 'leaderboard.json'), lb);
  const figures = await writeReport(resultsDir, lb);
  const md = leaderboardMarkdown(lb) + figuresMarkdown(figures);
  writeFileAtomic(path.join(resultsDir, 'leaderboard.md'), `# dpbench leaderboard\n\nGenerated ${lb.generated} by \`npm run bench\`.\n\n${md.replaceAll('](results/', '](')}`);
  if (readme && existsSync(readme)) {
    const text = readFileSync(readme, 'utf8');
    const start = '<!-- leaderboard:start -->';
    const end = '<!-- leaderboard:end -->';
    const i = text.indexOf(start);
    const j = text.indexOf(end);
    if (i >= 0 && j > i) writeFileAtomic(readme, `${text.slice(0, i + start.length)}\n${md}${text.slice(j)}`);
  }
}

/** Reads results/leaderboard.json back (for `dpbench report`), checking the fields every row needs. */
export function readLeaderboard(file: string): Leaderboard {
  if (!existsSync(file)) throw new Error(`${file}: no leaderboard there (run \`npm run bench\` first)`);
  const lb = JSON.parse(readFileSync(file, 'utf8')) as Leaderboard;
  if (typeof lb?.protocol !== 'string' || typeof lb.generated !== 'string' || !Array.isArray(lb.rows)) {
    throw new Error(`${file}: expected an object with "generated", "protocol" and "rows", got keys [${Object.keys(lb ?? {}).join(', ')}]`);
  }
  lb.rows.forEach((r, i) => {
    for (const k of ['env', 'policy', 'evalInfo'] as const) {
      if (typeof r?.[k] !== 'string') throw new Error(`${file}: rows[${i}].${k} must be a string, got ${JSON.stringify(r?.[k])}`);
    }
  });
  return lb;
}
