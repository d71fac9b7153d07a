/**
 * `dpbench bench --check <reference.json>`: the regression gate. Each row of the reference leaderboard
 * must be present in the new one, and each checked metric must not fall below what the reference's 95%
 * interval allows (its lower bound): a drop inside the interval is noise, a drop below it a regression.
 * The diff lists every metric with both values so a reader sees at once what moved.
 */
import type { Interval } from '../eval/metrics.ts';
import type { Leaderboard, LeaderboardRow } from '../report/leaderboard.ts';

export const CHECKED_METRICS = ['avgMaxReward', 'successRate', 'avgFinalCoverage'] as const;
export type CheckedMetric = (typeof CHECKED_METRICS)[number];

export interface CheckLine {
  row: string;
  metric: CheckedMetric | 'row';
  reference: Interval | null;
  current: number | null;
  ok: boolean;
}

export interface CheckResult {
  ok: boolean;
  lines: CheckLine[];
  /** A readable table of every comparison, failures marked. */
  report: string;
}

const key = (r: Pick<LeaderboardRow, 'env' | 'policy' | 'obs'>) => `${r.env} ${r.policy} (${r.obs})`;

function isLeaderboard(x: unknown): x is Leaderboard {
  return typeof x === 'object' && x !== null && Array.isArray((x as Leaderboard).rows);
}

export function checkAgainst(reference: unknown, current: Leaderboard, what = 'reference'): CheckResult {
  if (!isLeaderboard(reference)) throw new Error(`${what}: expected a leaderboard JSON with a "rows" array (results/leaderboard.json of a bench run)`);
  const byKey = new Map(current.rows.map((r) => [key(r), r]));
  const lines: CheckLine[] = [];
  for (const ref of reference.rows) {
    const cur = byKey.get(key(ref));
    if (!cur) {
      lines.push({ row: key(ref), metric: 'row', reference: null, current: null, ok: false });
      continue;
    }
    for (const m of CHECKED_METRICS) {
      const iv = ref[m];
      // A tiny tolerance absorbs float formatting; anything below the interval's lower bound fails.
      lines.push({ row: key(ref), metric: m, reference: iv, current: cur[m].value, ok: cur[m].value >= iv.low - 1e-9 });
    }
  }
  const fmt = (l: CheckLine) =>
    l.metric === 'row'
      ? `FAIL  ${l.row}: row missing from this run`
      : `${l.ok ? 'ok  ' : 'FAIL'}  ${l.row.padEnd(44)} ${l.metric.padEnd(17)} reference ${l.reference!.value.toFixed(3)} [${l.reference!.low.toFixed(3)}, ${l.reference!.high.toFixed(3)}]  now ${l.current!.toFixed(3)}${l.ok ? '' : `  (below the interval by ${(l.reference!.low - l.current!).toFixed(3)})`}`;
  const failed = lines.filter((l) => !l.ok).length;
  const report = [...lines.map(fmt), failed ? `${failed} of ${lines.length} checks failed against ${what}` : `all ${lines.length} checks passed against ${what}`].join('\n');
  return { ok: failed === 0, lines, report };
}
