/**
 * The HTML report as a person sees it: generated from a synthetic leaderboard and run folders, opened in
 * headless Chromium over http://127.0.0.1 and from disk. The table shows the input numbers and sorts; each
 * plot renders with the right number of bars and lines, sized in proportion to the input values; every
 * link resolves to a file; the page fetches nothing and logs no error. A screenshot goes to .tmp/.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/render/browser.ts';
import { readLeaderboard, writeLeaderboard } from '../../src/report/leaderboard.ts';
import { ROOT } from '../../src/util/env-info.ts';
import { DP_RUN, IMAGE_ROW, IMAGE_RUN, LEADERBOARD, RANDOM_RUN, TRAIN_LOG, writeFixtureRuns } from './report-fixture.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'dpbench-report-'));
const requests: string[] = [];
let server: Server;
let origin = '';
let browser: Browser;
/** The page over http, opened once; the tests below look at it in turn (the sort test reorders the table). */
let page: Page;
let problems: string[];

beforeAll(async () => {
  writeFixtureRuns(tmp);
  await writeLeaderboard(tmp, LEADERBOARD);
  server = createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1);
    requests.push(rel);
    // A standalone SVG has no <link rel="icon">, so the browser asks for one; not a problem of the page's.
    if (rel === 'favicon.ico') return void res.writeHead(204).end();
    const file = path.resolve(tmp, rel);
    if (!file.startsWith(tmp + path.sep) || !existsSync(file)) return void res.writeHead(404).end();
    const type = file.endsWith('.html') ? 'text/html; charset=utf-8' : file.endsWith('.svg') ? 'image/svg+xml' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  ({ page, problems } = await open(`${origin}/index.html`));
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(tmp, { recursive: true, force: true });
});

/** Opens a URL and collects what would show up in DevTools: console errors, page errors, failed requests. */
async function open(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
  page.on('pageerror', (e) => problems.push(`pageerror: ${String(e)}`));
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
  page.on('response', (r) => void (r.status() >= 400 && problems.push(`${r.status()}: ${r.url()}`)));
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems };
}

/** The table as {header: text} per row, in display order. */
const tableRows = (page: Page) =>
  page.$eval('#leaderboard', (t) => {
    const table = t as HTMLTableElement;
    const heads = Array.from(table.tHead!.rows[0].cells, (c) => c.textContent!);
    return Array.from(table.tBodies[0].rows, (r) => Object.fromEntries(Array.from(r.cells, (c, i) => [heads[i], c.textContent!.trim()])));
  });

/** Every mark of a plot with a given ARIA role: link, fill, bounding box and path data, in document order. */
const marks = (page: Page, plot: string, role: string) =>
  page.$$eval(`svg[data-plot="${plot}"] [aria-roledescription="${role}"]`, (els) =>
    els.map((e) => {
      const g = e as SVGGraphicsElement;
      const b = g.getBBox();
      const a = g.closest('a');
      return { x: b.x, y: b.y, w: b.width, h: b.height, fill: g.getAttribute('fill'), d: g.getAttribute('d') ?? '', href: a?.getAttribute('xlink:href') ?? a?.getAttribute('href') ?? null };
    }),
  );

/** All ratios equal (one scale factor) within `tol` of the first. */
function expectProportional(pixels: number[], values: number[], tol = 0.01) {
  const k = pixels.map((p, i) => (values[i] === 0 ? null : p / values[i])).filter((x): x is number => x !== null);
  for (const x of k) expect(Math.abs(x - k[0]) / k[0]).toBeLessThan(tol);
  pixels.forEach((p, i) => values[i] === 0 && expect(p).toBeLessThan(0.5));
}

const dpHref = `${DP_RUN}/eval/000600-ddim8/eval_info.json`;
const randomHref = `${RANDOM_RUN}/eval/final/eval_info.json`;

describe('results/index.html', () => {
  it('writes index.html beside leaderboard.{json,md}, and `dpbench report` can read the json back', () => {
    for (const f of ['leaderboard.json', 'leaderboard.md', 'index.html']) expect(existsSync(path.join(tmp, f))).toBe(true);
    expect(readLeaderboard(path.join(tmp, 'leaderboard.json'))).toEqual(JSON.parse(JSON.stringify(LEADERBOARD)));
    expect(() => readLeaderboard(path.join(tmp, 'runs', RANDOM_RUN.slice(5), 'config.json'))).toThrow(/expected an object with "generated", "protocol" and "rows"/);
  });

  it('over http: fetches nothing but itself, logs no error, shows the input numbers in a sortable table', async () => {
    expect(requests).toEqual(['index.html']);
    expect(await page.$eval('.protocol', (e) => e.textContent)).toBe(LEADERBOARD.protocol);

    const rows = await tableRows(page);
    expect(rows.map((r) => [r.env, r.policy, r.obs])).toEqual([
      ['PushT-v0', 'random', 'state'],
      ['PushT-v0', 'diffusion_unet', 'keypoints'],
      ['BlockStack-v0', 'expert', 'state'],
    ]);
    const [rnd, dp, stack] = rows;
    expect(rnd['mean max score [95% CI]']).toBe('0.250 [0.15, 0.38]');
    expect(rnd['success rate [95% CI]']).toBe('0.100 [0.04, 0.21]');
    expect(rnd['final coverage [95% CI]']).toBe('0.050 [0.01, 0.16]');
    expect(rnd['mean length']).toBe('300.0');
    expect(rnd.modes).toBe('cw 10 · ccw 30 · none 10');
    expect(rnd['JS to demos (bits)']).toBe('0.120');
    expect(rnd.commitment).toBe('0.700');
    expect(dp.episodes).toBe('100');
    expect(dp['mean length']).toBe('180.3');
    expect(dp['score across seeds (mean ± std)']).toBe('0.700 ± 0.050 (2 seeds)');
    expect(dp['success across seeds (mean ± std)']).toBe('0.450 ± 0.070 (2 seeds)');
    expect(dp['score of last k checkpoints']).toBe('mean 0.680 ± 0.040best 0.720 ± 0.030 (k = 2)');
    expect(dp['ms per action chunk @ batch']).toBe('ddpm100: 251.5 @ 1, 1004 @ 8ddim8: 20.25 @ 1');
    expect(dp['action diversity']).toBe('2 clusters of 16 (10 + 6), spread 41.50');
    // Fields the report's code has never heard of still get a column.
    expect(dp['checkpoint tag']).toBe('epoch=0600');
    expect(dp['wall clock s']).toBe('123.5');
    expect(stack.modes).toBe('–');
    expect(stack['wall clock s']).toBe('–');

    // Sorting by a header: ascending, then descending, by the number (not the text).
    const byScore = async () => (await tableRows(page)).map((r) => r.policy);
    const heads = await page.$$eval('#leaderboard th', (hs) => hs.map((h) => h.textContent));
    const th = (await page.$$('#leaderboard th'))[heads.indexOf('mean max score [95% CI]')];
    await th.click();
    expect(await byScore()).toEqual(['random', 'diffusion_unet', 'expert']);
    await th.click();
    expect(await byScore()).toEqual(['expert', 'diffusion_unet', 'random']);
    const lenTh = (await page.$$('#leaderboard th'))[heads.indexOf('mean length')];
    await lenTh.click();
    expect(await byScore()).toEqual(['expert', 'diffusion_unet', 'random']);

    // Every number in the table is a link to its row's eval_info.json (or its probes file).
    const unlinked = await page.$$eval('#leaderboard td.num', (tds) => tds.filter((td) => td.textContent !== '–' && !td.querySelector('a')).map((td) => td.textContent));
    expect(unlinked).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('renders every plot with bars and lines in proportion to the input numbers', async () => {
    const plots = await page.$$eval('svg[data-plot]', (ss) => ss.map((s) => ({ id: s.getAttribute('data-plot'), w: s.getBoundingClientRect().width, h: s.getBoundingClientRect().height })));
    expect(plots.map((p) => p.id)).toEqual(['scores-PushT-v0', 'scores-BlockStack-v0', 'modes-PushT-v0', `curve-${DP_RUN.slice(5).replace(/[^A-Za-z0-9]+/g, '-')}`]);
    for (const p of plots) expect(p.w * p.h).toBeGreaterThan(100 * 100);

    // Score bars: 2 rows × 3 metrics; within a metric, bar length ∝ value and whisker length ∝ interval.
    const bars = await marks(page, 'scores-PushT-v0', 'bar');
    expect(bars.length).toBe(6);
    const facets = await page.$$eval('svg[data-plot="scores-PushT-v0"] .role-column-header text', (ts) => ts.map((t) => t.textContent));
    expect(facets).toEqual(['mean max score', 'success rate', 'final coverage']);
    const rowsPush = LEADERBOARD.rows.slice(0, 2);
    const metric = ['avgMaxReward', 'successRate', 'avgFinalCoverage'] as const;
    const expected = metric.flatMap((m) => rowsPush.map((r) => ({ href: r.evalInfo, iv: r[m] })));
    expect(bars.map((b) => b.href)).toEqual(expected.map((e) => e.href));
    expectProportional(bars.map((b) => b.w), expected.map((e) => e.iv.value));
    const whiskers = await marks(page, 'scores-PushT-v0', 'rule mark');
    expectProportional(whiskers.map((w) => w.w), expected.map((e) => e.iv.high - e.iv.low), 0.02);
    expect(await marks(page, 'scores-BlockStack-v0', 'bar')).toHaveLength(3);

    // Mode histogram: (demos + 2 rows) × (cw, ccw, none), bar height ∝ share of that source's episodes.
    const modeBars = (await marks(page, 'modes-PushT-v0', 'bar')).sort((a, b) => a.x - b.x);
    expect(modeBars.length).toBe(9);
    const demo = LEADERBOARD.demos!['PushT-v0'];
    const sources = [
      { hist: { ...demo.histogram, none: demo.none }, href: null },
      ...rowsPush.map((r) => ({ hist: { ...r.modes!.histogram, none: r.modes!.none }, href: r.evalInfo })),
    ];
    const share = (h: Record<string, number>, m: string) => h[m] / Object.values(h).reduce((a, b) => a + b, 0);
    const want = ['cw', 'ccw', 'none'].flatMap((m) => sources.map((s) => ({ share: share(s.hist, m), href: s.href })));
    expect(modeBars.map((b) => b.href)).toEqual(want.map((w) => w.href));
    expectProportional(modeBars.map((b) => b.h), want.map((w) => w.share));
    expect(modeBars.filter((b) => b.href === null).every((b) => b.fill === '#9e9e9e')).toBe(true);

    // Learning curve: a train-loss line through every log line, a val-loss line through the validation lines;
    // on the log axis, pixel heights follow log(loss).
    const curve = plots[3].id!;
    const lines = await page.$$eval(`svg[data-plot="${curve}"] .mark-line path`, (ps) => ps.map((p) => p.getAttribute('d') ?? ''));
    expect(lines.length).toBe(2);
    const pts = (d: string) => [...d.matchAll(/[ML]\s*(-?[\d.]+)[ ,](-?[\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
    const train = pts(lines[0]);
    const val = pts(lines[1]);
    expect(train.length).toBe(TRAIN_LOG.length);
    expect(val.length).toBe(TRAIN_LOG.filter((l) => 'valLoss' in l).length);
    const logs = TRAIN_LOG.map((l) => Math.log(l.loss));
    expectProportional(train.slice(1).map((p) => p.y - train[0].y), logs.slice(1).map((v) => logs[0] - v));
    expectProportional(train.slice(1).map((p) => p.x - train[0].x), TRAIN_LOG.slice(1).map((l) => l.step - TRAIN_LOG[0].step));
    expect(problems).toEqual([]);
  });

  it('links only to files that exist: eval_info, config, env_info, episodes, train log, probes, videos', async () => {
    const hrefs = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href') ?? a.getAttribute('xlink:href')));
    expect(hrefs.every((h) => h && !/^[a-z]+:/i.test(h))).toBe(true);
    const unique = [...new Set(hrefs as string[])];
    for (const h of unique) {
      const r = await fetch(new URL(h, `${origin}/index.html`));
      expect(r.status, h).toBe(200);
    }
    const targets = unique.map((h) => decodeURIComponent(h));
    for (const want of [
      randomHref,
      dpHref,
      `${RANDOM_RUN}/config.json`,
      `${RANDOM_RUN}/env_info.json`,
      `${RANDOM_RUN}/eval/final/episodes.jsonl`,
      `${DP_RUN}/train_log.jsonl`,
      `${DP_RUN}/eval/probes-0123abcd.json`,
      `${DP_RUN}/eval/000600-ddim8/videos/ep_100000.gif`,
      `${DP_RUN}/eval/000600-ddim8/videos/ep_100001.gif`,
      'leaderboard.json',
    ]) {
      expect(targets).toContain(want);
    }
    // No link to a file that is not there (the random run has no training log and no videos).
    expect(targets.some((t) => t.startsWith(RANDOM_RUN) && /train_log|videos/.test(t))).toBe(false);
    expect(problems).toEqual([]);
    mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, '.tmp', 'report-test.png'), fullPage: true });
  });

  it('works opened from disk (file://): plots drawn, table sorts, no errors', async () => {
    const { page, problems } = await open(`file://${path.join(tmp, 'index.html')}`);
    expect(await page.$$eval('svg[data-plot]', (ss) => ss.filter((s) => s.getBoundingClientRect().width > 0).length)).toBe(4);
    const heads = await page.$$eval('#leaderboard th', (hs) => hs.map((h) => h.textContent));
    await (await page.$$('#leaderboard th'))[heads.indexOf('success rate [95% CI]')].click();
    expect((await tableRows(page)).map((r) => r.policy)).toEqual(['random', 'diffusion_unet', 'expert']);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('results/figures', () => {
  it("holds each of the page's plots as a standalone SVG whose links resolve from figures/; leaderboard.md shows the score and mode plots", async () => {
    const onPage = await page.$$eval('svg[data-plot]', (ss) => ss.map((s) => s.getAttribute('data-plot')!));
    expect(onPage.length).toBe(4); // scores and modes of PushT-v0, scores of BlockStack-v0 (no modes there), one learning curve
    expect(readdirSync(path.join(tmp, 'figures')).sort()).toEqual(onPage.map((id) => `${id}.svg`).sort());
    for (const id of onPage) {
      const svg = readFileSync(path.join(tmp, 'figures', `${id}.svg`), 'utf8');
      expect(svg.startsWith('<?xml')).toBe(true);
      const hrefs = [...svg.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
      if (id.startsWith('scores-')) expect(hrefs.length, id).toBeGreaterThan(0); // every bar links to its run
      for (const h of new Set(hrefs)) expect((await fetch(new URL(h, `${origin}/figures/${id}.svg`))).status, `${id}: ${h}`).toBe(200);
    }
    // The standalone file draws what the page draws: the same bars.
    const { page: alone, problems: p2 } = await open(`${origin}/figures/scores-PushT-v0.svg`);
    const bars = await alone.$$eval('[aria-roledescription="bar"]', (bs) => bs.length);
    expect(bars).toBe((await marks(page, 'scores-PushT-v0', 'bar')).length);
    expect(p2).toEqual([]);
    await alone.close();
    const md = readFileSync(path.join(tmp, 'leaderboard.md'), 'utf8');
    const images = [...md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(images).toEqual(['figures/scores-PushT-v0.svg', 'figures/modes-PushT-v0.svg', 'figures/scores-BlockStack-v0.svg']);
  });

  it('a new report replaces the plots it no longer draws and leaves other files alone', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dpbench-report-figures-'));
    try {
      writeFixtureRuns(dir);
      mkdirSync(path.join(dir, 'figures'));
      writeFileSync(path.join(dir, 'figures', 'curve-PushT-v0-gone-s0-00000000.svg'), '<svg/>');
      writeFileSync(path.join(dir, 'figures', 'my-notes.svg'), '<svg/>');
      await writeLeaderboard(dir, LEADERBOARD);
      const names = readdirSync(path.join(dir, 'figures'));
      expect(names).not.toContain('curve-PushT-v0-gone-s0-00000000.svg');
      expect(names).toContain('my-notes.svg');
      expect(names).toContain('scores-PushT-v0.svg');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('results/index.html and leaderboard.md with an image row', () => {
  it('show the image DP-C beside the keypoint one: its obs in the tables, its own label in the plots and learning curves', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dpbench-report-image-'));
    try {
      const [rnd, dp, stack] = LEADERBOARD.rows;
      const lb = { ...LEADERBOARD, rows: [rnd, dp, IMAGE_ROW, stack] };
      writeFixtureRuns(dir, lb.rows);
      await writeLeaderboard(dir, lb);
      const { page, problems } = await open(`file://${path.join(dir, 'index.html')}`);
      const rows = await tableRows(page);
      // The policy cell is the row's label: a policy with two rows on one env is named by its observation too.
      expect(rows.map((r) => [r.policy, r.obs])).toEqual([['random', 'state'], ['diffusion_unet · keypoints', 'keypoints'], ['diffusion_unet · pixels_agent_pos', 'pixels_agent_pos'], ['expert', 'state']]);
      expect(rows[2]['mean max score [95% CI]']).toBe('0.400 [0.30, 0.50]');
      // The plots use the same labels.
      const labels = await page.$$eval('svg[data-plot="scores-PushT-v0"] .role-axis-label text', (ts) => ts.map((t) => t.textContent));
      expect(labels).toEqual(expect.arrayContaining(['random', 'diffusion_unet · keypoints', 'diffusion_unet · pixels_agent_pos']));
      const bars = await marks(page, 'scores-PushT-v0', 'bar');
      expect(bars.filter((b) => b.href === IMAGE_ROW.evalInfo)).toHaveLength(3);
      const modeBars = await marks(page, 'modes-PushT-v0', 'bar');
      expect(modeBars.filter((b) => b.href === IMAGE_ROW.evalInfo)).toHaveLength(3); // cw, ccw, none
      // One learning curve per trained run, captioned with its label and linked to its log.
      const captions = await page.$$eval('#curves ~ .plots figcaption', (fs) => fs.map((f) => f.textContent));
      expect(captions).toEqual([`PushT-v0 · diffusion_unet · keypoints: ${DP_RUN.slice(5)}/train_log.jsonl`, `PushT-v0 · diffusion_unet · pixels_agent_pos: ${IMAGE_RUN.slice(5)}/train_log.jsonl`]);
      expect(problems).toEqual([]);
      await page.close();

      const md = readFileSync(path.join(dir, 'leaderboard.md'), 'utf8');
      expect(md).toContain('| PushT-v0 | diffusion_unet | pixels_agent_pos | 100 | 0.400 [0.30, 0.50] |');
      // The latency table tells the two DP-C rows apart by their observation.
      expect(md).toContain('| env | policy | obs | sampler | ms per chunk |');
      expect(md).toContain('| PushT-v0 | diffusion_unet | keypoints | ddim8 | 20.0 ms @ batch 1 |');
      expect(md).toContain('| PushT-v0 | diffusion_unet | pixels_agent_pos | ddim16 | 60.0 ms @ batch 1 |');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
