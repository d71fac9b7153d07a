/**
 * `dpbench bench --check <reference.json>`: the regression gate. Each row of the reference leaderboard
 * must be present in the new one, and each checked metric must not fall below what the reference's 95%
 * interval allows (its lower bound): a drop inside the interval is noise, a drop below it a regression.
 * A row the reference lacks (a task or policy added since it was written) is listed as new and passes:
 * there is nothing to compare it with until the reference is regenerated. The diff lists every metric with
 * both values so a reader sees at once what moved.
 */
import type { Interval } from '../eval/metrics.ts';
import type { Leaderboard, LeaderboardRow } from '../report/leaderboard.ts';

export const CHECKED_METRICS = ['avgMaxReward', 'successRate', 'avgFinalCoverage'] as const;
export type CheckedMetric = (typeof CHECKED_METRICS)[number];

export interface CheckLine {
  row: string;
  /** `row`: a reference row missing from this run (fails); `new`: a row of this run the reference lacks (passes). */
  metric: CheckedMetric | 'row' | 'new';
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
  const inReference = new Set(reference.rows.map(key));
  for (const r of current.rows) if (!inReference.has(key(r))) lines.push({ row: key(r), metric: 'new', reference: null, current: null, ok: true });
  const fmt = (l: CheckLine) =>
    l.metric === 'row'
      ? `FAIL  ${l.row}: row missing from this run`
      : l.metric === 'new'
        ? `new   ${l.row}: not in the reference, nothing to check it against (regenerate the reference to include it)`
        : `${l.ok ? 'ok  ' : 'FAIL'}  ${l.row.padEnd(44)} ${l.metric.padEnd(17)} reference ${l.reference!.value.toFixed(3)} [${l.reference!.low.toFixed(3)}, ${l.reference!.high.toFixed(3)}]  now ${l.current!.toFixed(3)}${l.ok ? '' : `  (below the interval by ${(l.reference!.low - l.current!).toFixed(3)})`}`;
  const failed = lines.filter((l) => !l.ok).length;
  const checks = lines.filter((l) => l.metric !== 'new').length;
  const fresh = lines.length - checks;
  const newRows = fresh ? `; ${fresh} new row${fresh > 1 ? 's' : ''} not in it` : '';
  const report = [...lines.map(fmt), `${failed ? `${failed} of ${checks} checks failed` : `all ${checks} checks passed`} against ${what}${newRows}`].join('\n');
  return { ok: failed === 0, lines, report };
}
