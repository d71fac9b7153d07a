/**
 * results/index.html: the leaderboard as one self-contained page — inline CSS, plots as inline SVG
 * (src/report/plots.ts), a few lines of script that sort the table — so it fetches nothing and works
 * opened from disk. Every number links to the file it came from in its run folder (relative links, as
 * the page sits in results/); a link is written only for a file that exists. Each plot is also written on its own
 * to results/figures/<id>.svg (its links made relative to figures/), for the README and for papers.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/fs.ts';
import type { Leaderboard, LeaderboardRow } from './leaderboard.ts';
import { DEMO_COLOR, learningCurveSpec, modeHistogramSpec, PALETTE, renderSvg, scoreBarsSpec, type ModeSource } from './plots.ts';
import { runFiles } from './run-files.ts';
import { esc, leaderboardTable, type TableRow } from './table.ts';

/**
 * Names for the rows of one env, short and unique: the policy, then its observation type, then any
 * string that tells two rows apart (checkpoint, profile), then a number.
 */
export function rowLabels(rows: readonly LeaderboardRow[]): string[] {
  const labels = rows.map((r) => r.policy);
  const refine = (extra: (r: LeaderboardRow, i: number) => string | undefined) => {
    const count = new Map<string, number>();
    rows.forEach((r, i) => count.set(`${r.env}\0${labels[i]}`, (count.get(`${r.env}\0${labels[i]}`) ?? 0) + 1));
    rows.forEach((r, i) => {
      const x = extra(r, i);
      if (count.get(`${r.env}\0${labels[i]}`)! > 1 && x) labels[i] = `${labels[i]} · ${x}`;
    });
  };
  refine((r) => r.obs);
  refine((r) => path.posix.basename(path.posix.dirname(r.evalInfo)));
  refine((_, i) => `#${i + 1}`);
  return labels;
}

const SCRIPT = `
for (const th of document.querySelectorAll('table.sortable th')) {
  const sort = () => {
    const table = th.closest('table'), i = th.cellIndex, body = table.tBodies[0];
    const asc = th.getAttribute('aria-sort') !== 'ascending';
    for (const h of table.tHead.rows[0].cells) h.removeAttribute('aria-sort');
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    const key = (tr) => tr.cells[i].dataset.sort;
    const rows = [...body.rows];
    const numeric = rows.every((tr) => key(tr) === '' || !isNaN(Number(key(tr))));
    const val = (tr) => (numeric ? (key(tr) === '' ? -Infinity : Number(key(tr))) : key(tr));
    rows.sort((a, b) => { const x = val(a), y = val(b); const c = x < y ? -1 : x > y ? 1 : 0; return asc ? c : -c; });
    body.append(...rows);
  };
  th.addEventListener('click', sort);
  th.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
}`;

const CSS = `
body { font: 14px/1.45 'DejaVu Sans', Verdana, sans-serif; color: #222; margin: 24px auto; max-width: 1280px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 4px; } .meta, .note, figcaption { color: #555; font-size: 13px; }
.protocol { background: #f7f7f7; border-left: 3px solid #bbb; padding: 8px 12px; font-size: 13px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; white-space: nowrap; }
th { background: #f3f3f3; cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort=ascending]::after { content: ' ▲'; } th[aria-sort=descending]::after { content: ' ▼'; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafafa; } tbody tr:hover { background: #eef4fb; }
a { color: #1f5fa8; text-decoration: none; } a:hover { text-decoration: underline; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
details summary { cursor: pointer; color: #555; }
figure { margin: 8px 0 16px; } .plots { display: flex; flex-wrap: wrap; gap: 8px 32px; }
code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; }`;

interface Prepared {
  env: string;
  rows: TableRow[];
}

/** The rows grouped by env; a label has one colour on the whole page (`random` looks the same in every env). */
function prepare(resultsDir: string, lb: Leaderboard): Prepared[] {
  const labels = rowLabels(lb.rows);
  const palette = [...new Set(labels)];
  const color = (label: string) => PALETTE[palette.indexOf(label) % PALETTE.length];
  const envs = [...new Set(lb.rows.map((r) => r.env))];
  return envs.map((env) => ({
    env,
    rows: lb.rows.flatMap((row, i) => (row.env === env ? [{ row, label: labels[i], color: color(labels[i]), files: runFiles(resultsDir, row.evalInfo) }] : [])),
  }));
}

function modeSources(lb: Leaderboard, g: Prepared): { sources: ModeSource[]; modes: string[] } | null {
  const withModes = g.rows.filter((t) => t.row.modes);
  if (!withModes.length) return null;
  const demo = lb.demos?.[g.env];
  const sources: ModeSource[] = [
    ...(demo ? [{ label: `demonstrations (${demo.episodes})`, color: DEMO_COLOR, histogram: demo.histogram, none: demo.none }] : []),
    ...withModes.map((t) => ({ label: t.label, color: t.color, histogram: t.row.modes!.histogram, none: t.row.modes!.none, href: t.files.evalInfo })),
  ];
  const modes = [...new Set(sources.flatMap((s) => Object.keys(s.histogram)))].filter((m) => m !== 'none');
  return { sources, modes };
}

/** One plot of the report: its id (the figure's file name) and its SVG as the page inlines it. */
export interface Figure {
  id: string;
  svg: string;
}

/** The page, and every plot on it (scores and modes per env, then each run's learning curve). */
export async function reportHtml(resultsDir: string, lb: Leaderboard): Promise<{ html: string; figures: Figure[] }> {
  const figures: Figure[] = [];
  const plot = async (spec: Parameters<typeof renderSvg>[0], id: string) => {
    const svg = await renderSvg(spec, id);
    figures.push({ id, svg });
    return svg;
  };
  const groups = prepare(resultsDir, lb);
  const all = groups.flatMap((g) => g.rows);
  const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '-');
  const scores: string[] = [];
  const modes: string[] = [];
  for (const g of groups) {
    const svg = await plot(scoreBarsSpec(g.rows.map((t) => ({ ...t.row, label: t.label, color: t.color, href: t.files.evalInfo }))), `scores-${slug(g.env)}`);
    scores.push(`<h3>${esc(g.env)}</h3><figure>${svg}<figcaption>Bars: the value over ${esc(episodeText(g.rows))}; whiskers: its 95% Wilson interval. A bar links to its run's eval_info.json.</figcaption></figure>`);
    const m = modeSources(lb, g);
    if (!m) continue;
    const msvg = await plot(modeHistogramSpec(m.sources, m.modes), `modes-${slug(g.env)}`);
    const demoNote = lb.demos?.[g.env] ? '' : ' The leaderboard does not record the demonstrations\' histogram for this env.';
    modes.push(`<h3>${esc(g.env)}</h3><figure>${msvg}<figcaption>Share of each source's episodes per behaviour mode (the count on each bar); <em>none</em>: no mode expressed. JS divergence to the demonstrations (in the table) compares the labelled modes only.${demoNote}</figcaption></figure>`);
  }
  const curves: string[] = [];
  const seen = new Set<string>();
  for (const t of all) {
    if (!t.files.log.length || seen.has(t.files.name)) continue;
    seen.add(t.files.name);
    const svg = await plot(learningCurveSpec(t.files.log, t.files.trainLog), `curve-${slug(t.files.name)}`);
    curves.push(`<figure>${svg}<figcaption>${esc(t.row.env)} · ${esc(t.label)}: <a href="${esc(t.files.trainLog!)}">${esc(t.files.name)}/train_log.jsonl</a></figcaption></figure>`);
  }
  const runs = all.map((t) => {
    const f = t.files;
    const link = (href: string | undefined, text: string) => (href ? `<a href="${esc(href)}">${text}</a>` : '');
    const files = [link(f.config, 'config.json'), link(f.envInfo, 'env_info.json'), link(f.trainLog, 'train_log.jsonl'), link(f.evalInfo, `eval/${esc(f.checkpoint)}/eval_info.json`), link(f.episodes, 'episodes.jsonl'), link(f.probes, 'probes')].filter(Boolean);
    const videos = f.videos.length ? `<br>videos: ${f.videos.map((v) => `<a href="${esc(v.href)}">ep_${v.seed}</a>`).join(' ')}` : '';
    return `<li><span class="swatch" style="background:${esc(t.color)}"></span><strong>${esc(t.row.env)} · ${esc(t.label)}</strong> <code>${esc(f.name)}</code>: ${files.join(' · ')}${videos}</li>`;
  });
  const profile = typeof lb.profile === 'string' ? ` · profile <code>${esc(lb.profile)}</code>` : '';
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dpbench leaderboard</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<h1>dpbench leaderboard</h1>
<p class="meta">Generated ${esc(lb.generated)} by <code>npm run bench</code>${profile} · ${lb.rows.length} rows. Regenerate this page from <a href="leaderboard.json">leaderboard.json</a> with <code>dpbench report</code>. Every number links to the run it was read from.</p>
<p class="protocol">${esc(lb.protocol)}</p>
<h2 id="table">Leaderboard</h2>
<p class="note">Click a column header to sort.</p>
<div class="scroll">${leaderboardTable(all)}</div>
<h2 id="scores">Scores</h2>
${scores.join('\n')}
<h2 id="modes">Modes against the demonstrations</h2>
${modes.length ? modes.join('\n') : '<p class="note">No row carries a mode histogram.</p>'}
<h2 id="curves">Learning curves</h2>
${curves.length ? `<p class="note">Training loss (mean since the previous log line) and validation loss, per run; a curve links to its train_log.jsonl.</p><div class="plots">${curves.join('\n')}</div>` : '<p class="note">No run of this leaderboard has a train_log.jsonl: none of its rows was trained.</p>'}
<h2 id="runs">Runs</h2>
<ul>
${runs.join('\n')}
</ul>
<script>${SCRIPT}</script>
</body>
</html>
`;
  return { html, figures };
}

function episodeText(rows: readonly TableRow[]): string {
  const ns = [...new Set(rows.map((t) => t.row.episodes))];
  return ns.length === 1 ? `${ns[0]} test episodes` : 'each row\'s test episodes (see the table)';
}

/** The figure files a report writes (and replaces: one of these names that a report no longer draws is removed). */
const FIGURE_FILE = /^(scores|modes|curve)-.*\.svg$/;

/**
 * Writes results/index.html and each of its plots as results/figures/<id>.svg, a standalone file whose links
 * (relative to results/ on the page) are made relative to figures/; returns the figure ids.
 */
export async function writeReport(resultsDir: string, lb: Leaderboard): Promise<string[]> {
  const { html, figures } = await reportHtml(resultsDir, lb);
  const dir = path.join(resultsDir, 'figures');
  mkdirSync(dir, { recursive: true });
  for (const f of figures) writeFileAtomic(path.join(dir, `${f.id}.svg`), standaloneSvg(f.svg));
  const drawn = new Set(figures.map((f) => `${f.id}.svg`));
  for (const name of readdirSync(dir)) if (FIGURE_FILE.test(name) && !drawn.has(name)) rmSync(path.join(dir, name));
  writeFileAtomic(path.join(resultsDir, 'index.html'), html);
  return figures.map((f) => f.id);
}

/** An inline plot as a file of its own in figures/: the XML namespace declared, relative links one folder up. */
function standaloneSvg(svg: string): string {
  const linked = svg.replace(/((?:xlink:)?href)="(?![a-z][a-z0-9+.-]*:|[#/])([^"]*)"/gi, '$1="../$2"');
  return `<?xml version="1.0" encoding="UTF-8"?>\n${linked}\n`;
}
