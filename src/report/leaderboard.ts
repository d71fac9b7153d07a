/**
 * The leaderboard: one row per (env, policy), written as results/leaderboard.{json,md}; the README's
 * table between `<!-- leaderboard:start -->` and `<!-- leaderboard:end -->` is replaced by the markdown.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import type { Interval } from '../eval/metrics.ts';

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
  /** Mode histogram of the rollouts (behaviour modes; `none`: no mode expressed) and JS divergence to the demos. */
  modes?: { histogram: Record<string, number>; none: number; jsToDemos: number; entropy: number; commitment: number | null; switchRate: number | null };
  /** Path of the row's eval_info.json, relative to results/. */
  evalInfo: string;
}

export interface Leaderboard {
  generated: string;
  protocol: string;
  rows: LeaderboardRow[];
}

const fmt = (iv: Interval) => `${iv.value.toFixed(3)} [${iv.low.toFixed(2)}, ${iv.high.toFixed(2)}]`;

export function leaderboardMarkdown(lb: Leaderboard): string {
  const head = '| env | policy | obs | episodes | mean max score [95% CI] | success rate [95% CI] | final coverage [95% CI] | mean length | modes | JS to demos | commitment | run |';
  const sep = '|---|---|---|---:|---|---|---|---:|---|---:|---:|---|';
  const modes = (r: LeaderboardRow) =>
    r.modes ? [...Object.entries(r.modes.histogram).map(([m, n]) => `${m} ${n}`), `none ${r.modes.none}`].join(' · ') : '–';
  const js = (r: LeaderboardRow) => (r.modes && Number.isFinite(r.modes.jsToDemos) ? r.modes.jsToDemos.toFixed(3) : '–');
  const commit = (r: LeaderboardRow) => (r.modes?.commitment != null ? r.modes.commitment.toFixed(2) : '–');
  const rows = lb.rows.map(
    (r) =>
      `| ${r.env} | ${r.policy} | ${r.obs} | ${r.episodes} | ${fmt(r.avgMaxReward)} | ${fmt(r.successRate)} | ${fmt(r.avgFinalCoverage)} | ${r.avgLength.toFixed(1)} | ${modes(r)} | ${js(r)} | ${commit(r)} | [eval_info](results/${r.evalInfo}) |`,
  );
  return [`_${lb.protocol}_`, '', head, sep, ...rows, ''].join('\n');
}

export function writeLeaderboard(resultsDir: string, lb: Leaderboard, readme?: string): void {
  writeJsonAtomic(path.join(resultsDir, 'leaderboard.json'), lb);
  const md = leaderboardMarkdown(lb);
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
