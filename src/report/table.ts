/**
 * The report's leaderboard table as HTML: one row per leaderboard row, every number a link to the file it
 * was read from, a `data-sort` key on every cell for the page's sort script. Fields a row may or may not
 * carry (seed aggregation, last-k checkpoints, latency, diversity, and any field added later) are read by
 * shape, not trusted by type, and get a column only when some row has them.
 */
import type { Interval } from '../eval/metrics.ts';
import { formatInterval, type LeaderboardRow } from './leaderboard.ts';
import type { RunFiles } from './run-files.ts';

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Cell {
  html: string;
  sort: string | number;
}

export interface TableRow {
  row: LeaderboardRow;
  label: string;
  color: string;
  files: RunFiles;
}

interface Column {
  head: string;
  /** Right-aligned numbers. */
  num?: boolean;
  cell(t: TableRow): Cell;
}

const DASH: Cell = { html: '–', sort: '' };
const rec = (x: unknown): Record<string, unknown> | null => (x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : null);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isInterval = (x: unknown): x is Interval => isNum(rec(x)?.value) && isNum(rec(x)?.low) && isNum(rec(x)?.high);
const isMeanStd = (x: unknown): x is { mean: number; std: number } => isNum(rec(x)?.mean) && isNum(rec(x)?.std);

export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 10 ? x.toFixed(2) : x.toFixed(3);
}

const meanStd = (s: { mean: number; std: number }) => `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}`;
const words = (key: string) => key.replace(/_/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

/** Any value, by its shape: a number, an interval, mean ± std, a short list, a flat record. */
export function describe(v: unknown, depth = 0): Cell {
  if (v === null || v === undefined) return DASH;
  if (typeof v === 'number') return isNum(v) ? { html: formatNumber(v), sort: v } : DASH;
  if (typeof v === 'boolean') return { html: v ? 'yes' : 'no', sort: v ? 1 : 0 };
  if (typeof v === 'string') return { html: esc(v), sort: v };
  if (isInterval(v)) return { html: esc(formatInterval(v)), sort: v.value };
  if (isMeanStd(v)) return { html: esc(meanStd(v)), sort: v.mean };
  if (Array.isArray(v)) {
    if (v.length > 8) return { html: `${v.length} values`, sort: v.length };
    const parts = v.map((x) => describe(x, depth + 1));
    return { html: parts.map((p) => p.html).join(depth ? ', ' : '<br>'), sort: parts.find((p) => typeof p.sort === 'number')?.sort ?? parts[0]?.sort ?? '' };
  }
  const r = rec(v)!;
  if (depth > 1) return { html: esc(JSON.stringify(r).slice(0, 80)), sort: '' };
  const parts = Object.entries(r).map(([k, x]) => ({ k, c: describe(x, depth + 1) }));
  return { html: parts.map(({ k, c }) => `${esc(words(k))} ${c.html}`).join(' · '), sort: parts.find((p) => typeof p.c.sort === 'number')?.c.sort ?? '' };
}

const link = (href: string | undefined, c: Cell): Cell => (c === DASH || !href ? c : { html: `<a href="${esc(href)}">${c.html}</a>`, sort: c.sort });
const evalLink = (t: TableRow, c: Cell) => link(t.files.evalInfo, c);
const numCol = (head: string, get: (r: LeaderboardRow) => unknown): Column => ({ head, num: true, cell: (t) => evalLink(t, describe(get(t.row))) });
/** A statistic in [0, 1] or in bits: always three decimals, so that 1 reads as 1.000 beside 0.723. */
const fixedCol = (head: string, get: (r: LeaderboardRow) => number | null | undefined): Column => ({
  head,
  num: true,
  cell: (t) => {
    const x = get(t.row);
    return evalLink(t, isNum(x) ? { html: x.toFixed(3), sort: x } : DASH);
  },
});

const FIXED: Column[] = [
  { head: 'env', cell: (t) => ({ html: esc(t.row.env), sort: t.row.env }) },
  { head: 'policy', cell: (t) => ({ html: `<span class="swatch" style="background:${esc(t.color)}"></span>${esc(t.label)}`, sort: t.label }) },
  { head: 'obs', cell: (t) => ({ html: esc(t.row.obs), sort: t.row.obs }) },
  numCol('episodes', (r) => r.episodes),
  numCol('mean max score [95% CI]', (r) => r.avgMaxReward),
  numCol('success rate [95% CI]', (r) => r.successRate),
  numCol('final coverage [95% CI]', (r) => r.avgFinalCoverage),
  { head: 'mean length', num: true, cell: (t) => evalLink(t, isNum(t.row.avgLength) ? { html: t.row.avgLength.toFixed(1), sort: t.row.avgLength } : DASH) },
  {
    head: 'modes',
    cell: (t) => {
      const m = t.row.modes;
      if (!m) return DASH;
      const parts = [...Object.entries(m.histogram).map(([k, n]) => `${esc(k)} ${n}`), `none ${m.none}`];
      return evalLink(t, { html: parts.join(' · '), sort: parts.join(' ') });
    },
  },
  fixedCol('JS to demos (bits)', (r) => r.modes?.jsToDemos),
  fixedCol('mode entropy', (r) => r.modes?.entropy),
  fixedCol('commitment', (r) => r.modes?.commitment),
  fixedCol('switch rate', (r) => r.modes?.switchRate),
];

type Loose = Record<string, unknown>;
const field = (r: LeaderboardRow, k: string): unknown => (r as unknown as Loose)[k];

/** Columns for the fields rows gain with training (seed aggregation, checkpoints, latency, diversity). */
const OPTIONAL: Array<{ key: string; columns: Column[] }> = [
  {
    key: 'trainingSeeds',
    columns: [
      { head: 'score across seeds (mean ± std)', num: true, cell: (t) => evalLink(t, seedStat(field(t.row, 'trainingSeeds'), 'avgMaxReward')) },
      { head: 'success across seeds (mean ± std)', num: true, cell: (t) => evalLink(t, seedStat(field(t.row, 'trainingSeeds'), 'successRate')) },
    ],
  },
  {
    key: 'checkpoints',
    columns: [
      {
        head: 'score of last k checkpoints',
        num: true,
        cell: (t) => {
          const c = rec(field(t.row, 'checkpoints'));
          if (!c || !isMeanStd(c.meanOfLastK) || !isMeanStd(c.bestOfLastK)) return describe(c);
          const k = isNum(c.lastK) ? ` (k = ${c.lastK})` : '';
          return evalLink(t, { html: `mean ${esc(meanStd(c.meanOfLastK))}<br>best ${esc(meanStd(c.bestOfLastK))}${k}`, sort: c.meanOfLastK.mean });
        },
      },
    ],
  },
  {
    key: 'latency',
    columns: [
      {
        head: 'ms per action chunk @ batch',
        num: true,
        cell: (t) => {
          const rows = field(t.row, 'latency');
          if (!Array.isArray(rows) || !rows.every((l) => typeof rec(l)?.sampler === 'string' && isNum(rec(l)?.batch) && isNum(rec(l)?.ms_mean))) return describe(rows);
          const ls = rows as Array<{ sampler: string; batch: number; ms_mean: number }>;
          const bySampler = new Map<string, string[]>();
          for (const l of ls) bySampler.set(l.sampler, [...(bySampler.get(l.sampler) ?? []), `${formatNumber(l.ms_mean)} @ ${l.batch}`]);
          const html = [...bySampler].map(([s, ms]) => `${esc(s)}: ${ms.join(', ')}`).join('<br>');
          return link(t.files.probes ?? t.files.evalInfo, { html, sort: ls.length ? ls[0].ms_mean : '' });
        },
      },
    ],
  },
  {
    key: 'diversity',
    columns: [
      {
        head: 'action diversity',
        num: true,
        cell: (t) => {
          const d = rec(field(t.row, 'diversity'));
          if (!d || !isNum(d.clusters) || !isNum(d.K)) return describe(d);
          const sizes = Array.isArray(d.sizes) ? ` (${d.sizes.length > 4 ? `largest ${d.sizes.slice(0, 3).join(', ')}, …` : d.sizes.join(' + ')})` : '';
          const spread = isNum(d.spread) ? `, spread ${formatNumber(d.spread)}` : '';
          return link(t.files.probes ?? t.files.evalInfo, { html: `${d.clusters} clusters of ${d.K}${sizes}${spread}`, sort: d.clusters });
        },
      },
    ],
  },
];

function seedStat(ts: unknown, key: string): Cell {
  const s = rec(ts)?.[key];
  if (!isMeanStd(s)) return DASH;
  const values = rec(s)?.values;
  const n = Array.isArray(values) ? ` (${values.length} seed${values.length === 1 ? '' : 's'})` : '';
  return { html: `${esc(meanStd(s))}${n}`, sort: s.mean };
}

const KNOWN = new Set(['env', 'policy', 'obs', 'episodes', 'avgMaxReward', 'successRate', 'avgFinalCoverage', 'avgLength', 'modes', 'evalInfo', 'run', ...OPTIONAL.map((o) => o.key)]);

function runCell(t: TableRow): Cell {
  const f = t.files;
  const links = [
    f.evalInfo && `<a href="${esc(f.evalInfo)}">eval_info</a>`,
    f.config && `<a href="${esc(f.config)}">config</a>`,
    f.envInfo && `<a href="${esc(f.envInfo)}">env_info</a>`,
    f.episodes && `<a href="${esc(f.episodes)}">episodes</a>`,
    f.trainLog && `<a href="${esc(f.trainLog)}">train_log</a>`,
  ].filter(Boolean);
  const videos = f.videos.length
    ? `<details><summary>${f.videos.length} videos</summary>${f.videos.map((v) => `<a href="${esc(v.href)}">${v.seed}</a>`).join(' ')}</details>`
    : '';
  return { html: `<span title="${esc(f.name)}">${links.join(' · ')}</span>${videos}`, sort: f.name };
}

export function leaderboardTable(rows: readonly TableRow[]): string {
  const has = (k: string) => rows.some((t) => field(t.row, k) !== undefined && field(t.row, k) !== null);
  const extraKeys = [...new Set(rows.flatMap((t) => Object.keys(t.row)))].filter((k) => !KNOWN.has(k) && has(k));
  const columns: Column[] = [
    ...FIXED,
    ...OPTIONAL.filter((o) => has(o.key)).flatMap((o) => o.columns),
    ...extraKeys.map((k) => ({ head: words(k), cell: (t: TableRow) => evalLink(t, describe(field(t.row, k))) })),
    { head: 'run', cell: runCell },
  ];
  const head = columns.map((c) => `<th scope="col" tabindex="0"${c.num ? ' class="num"' : ''}>${esc(c.head)}</th>`).join('');
  const body = rows
    .map((t) => {
      const cells = columns.map((c) => {
        const cell = c.cell(t);
        return `<td${c.num ? ' class="num"' : ''} data-sort="${esc(String(cell.sort))}">${cell.html}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="sortable" id="leaderboard">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}
