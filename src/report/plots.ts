/**
 * The report's plots as Vega-Lite specs rendered to static SVG in Node (vega's `renderer: 'none'` +
 * `toSVG()`: no canvas, no browser, no script in the page). Vega-Lite rather than hand-written SVG: axes,
 * ticks, log scales, grouped bars and legends come from a tested library, the specs are plain JSON that
 * an interactive page could embed unchanged, and its `href` channel turns a bar into a link to its run.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { Interval } from '../eval/metrics.ts';
import type { TrainPoint } from './run-files.ts';

/** Colour of the demonstrations in every plot; rows take PALETTE in leaderboard order. */
export const DEMO_COLOR = '#9e9e9e';
export const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#ff9da6', '#9d755d'];

// DejaVu Sans is what the setup script installs (src/setup/system-deps.ts).
const CONFIG = {
  font: 'DejaVu Sans, Verdana, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' as const, gridColor: '#eee' },
  header: { labelFontSize: 12, labelFontWeight: 'bold' as const },
  legend: { labelFontSize: 11, labelLimit: 320 },
  view: { stroke: null },
};

/**
 * Bars are drawn as two layers: those whose datum has an `href` link to it, the others (the
 * demonstrations, a run whose eval_info.json is missing) are plain — one layer would link them to "undefined".
 */
const WITH_LINK = [{ filter: 'isValid(datum.href)' }];
const WITHOUT_LINK = [{ filter: '!isValid(datum.href)' }];
const HREF = { field: 'href', type: 'nominal' } as const;

export const SCORE_METRICS = [
  { key: 'avgMaxReward', title: 'mean max score' },
  { key: 'successRate', title: 'success rate' },
  { key: 'avgFinalCoverage', title: 'final coverage' },
] as const;

export interface ScoreBar {
  label: string;
  href?: string;
  color: string;
  avgMaxReward: Interval;
  successRate: Interval;
  avgFinalCoverage: Interval;
}

/** One bar per row and metric with its 95% interval as a whisker and the value printed after it. */
export function scoreBarsSpec(rows: readonly ScoreBar[]): TopLevelSpec {
  const values = rows.flatMap((r) =>
    SCORE_METRICS.filter((m) => Number.isFinite(r[m.key].value)).map((m) => ({
      label: r.label,
      metric: m.title,
      value: r[m.key].value,
      low: r[m.key].low,
      high: r[m.key].high,
      text: r[m.key].value.toFixed(3),
      ...(r.href ? { href: r.href } : {}),
    })),
  );
  const bar = { type: 'bar', height: { band: 0.7 } } as const;
  const barEncoding = {
    x: { field: 'value', type: 'quantitative' as const, scale: { domain: [0, 1] }, title: null },
    color: { field: 'label', type: 'nominal' as const, scale: { domain: rows.map((r) => r.label), range: rows.map((r) => r.color) }, legend: null },
  };
  return {
    config: CONFIG,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', sort: SCORE_METRICS.map((m) => m.title), title: null } },
    spacing: 56,
    spec: {
      width: 210,
      height: { step: 26 },
      encoding: { y: { field: 'label', type: 'nominal', sort: rows.map((r) => r.label), title: null, axis: { labelLimit: 320 } } },
      layer: [
        { transform: WITH_LINK, mark: bar, encoding: { ...barEncoding, href: HREF } },
        { transform: WITHOUT_LINK, mark: bar, encoding: barEncoding },
        { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x: { field: 'low', type: 'quantitative' }, x2: { field: 'high' } } },
        { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 }, encoding: { x: { field: 'high', type: 'quantitative' }, text: { field: 'text' } } },
      ],
    },
  };
}

/** Training loss (every log line) and validation loss (with points: it is sparse) against step. */
export function learningCurveSpec(log: readonly TrainPoint[], logHref: string | undefined): TopLevelSpec {
  const values = log.flatMap((p) => [
    { step: p.step, value: p.loss, series: 'train loss' },
    ...(p.valLoss !== undefined ? [{ step: p.step, value: p.valLoss, series: 'val loss' }] : []),
  ]);
  const positive = values.every((v) => v.value > 0);
  const line = (series: string, point: boolean) => ({
    transform: [{ filter: { field: 'series', equal: series } }],
    mark: { type: 'line' as const, point, strokeWidth: 1.5 },
  });
  return {
    config: CONFIG,
    data: { values },
    width: 300,
    height: 170,
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      // Not `nice`: a log axis rounded out to powers of ten flattens a curve that spans a factor of two.
      y: { field: 'value', type: 'quantitative', scale: positive ? { type: 'log', nice: false } : { type: 'linear', zero: false }, title: positive ? 'loss (log scale)' : 'loss' },
      color: { field: 'series', type: 'nominal', scale: { domain: ['train loss', 'val loss'], range: [PALETTE[0], PALETTE[1]] }, legend: { orient: 'top-right', title: null } },
      ...(logHref ? { href: { value: logHref } } : {}),
    },
    layer: [line('train loss', false), ...(values.some((v) => v.series === 'val loss') ? [line('val loss', true)] : [])],
  };
}

export interface ModeSource {
  label: string;
  color: string;
  /** Episodes per behaviour mode; `none` counts the episodes that expressed no mode. */
  histogram: Record<string, number>;
  none: number;
  href?: string;
}

/**
 * Grouped bars: for each mode (and `none`), the share of each source's episodes in it, demonstrations
 * first; counts are printed on the bars so unequal episode numbers stay visible.
 */
export function modeHistogramSpec(sources: readonly ModeSource[], modes: readonly string[]): TopLevelSpec {
  const cats = [...modes, 'none'];
  const values = sources.flatMap((s) => {
    const total = modes.reduce((a, m) => a + (s.histogram[m] ?? 0), s.none);
    return cats.map((c) => {
      const count = c === 'none' ? s.none : (s.histogram[c] ?? 0);
      return { source: s.label, mode: c, count, share: total ? count / total : 0, ...(s.href ? { href: s.href } : {}) };
    });
  });
  const color = {
    field: 'source',
    type: 'nominal' as const,
    scale: { domain: sources.map((s) => s.label), range: sources.map((s) => s.color) },
    legend: { orient: 'top' as const, title: null },
  };
  return {
    config: CONFIG,
    data: { values },
    width: cats.length * (24 * sources.length + 28),
    height: 170,
    encoding: {
      x: { field: 'mode', type: 'nominal', sort: cats, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'source', type: 'nominal', sort: sources.map((s) => s.label) },
      y: { field: 'share', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '.0%' }, title: 'share of episodes' },
    },
    layer: [
      { transform: WITH_LINK, mark: { type: 'bar' }, encoding: { color, href: HREF } },
      { transform: WITHOUT_LINK, mark: { type: 'bar' }, encoding: { color } },
      { mark: { type: 'text', dy: -5, fontSize: 10 }, encoding: { text: { field: 'count', type: 'quantitative' } } },
    ],
  };
}

/**
 * Renders a spec to an SVG string. `id` prefixes the SVG's internal ids (clip paths, gradients) so that
 * several SVGs inline in one page do not resolve each other's `url(#…)` references.
 */
export async function renderSvg(spec: TopLevelSpec, id: string): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.replace(/ id="([^"]+)"/g, ` id="${id}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#${id}-$1)`).replace('<svg ', `<svg data-plot="${id}" `);
  } finally {
    view.finalize();
  }
}
