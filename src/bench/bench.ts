/**
 * `npm run bench`: one profile (src/bench/profiles.ts) end to end — collect the demonstrations, train
 * every policy on every training seed, evaluate the last k checkpoints on the protocol's test seeds,
 * measure latency and action diversity, and write the leaderboard. Every stage reuses what a previous
 * bench of the same config left (datasets, finished runs, evaluations), and an interrupted training run
 * resumes from its last checkpoint, so a killed bench picks up where it stopped.
 *
 * An image task (`pixels_agent_pos`) gets one renderer (headless Chromium), launched when one of its stages
 * first draws — collecting the demonstrations with their camera images, rolling out, rendering the probes'
 * start image — shared by all of them, and closed when the task ends, also on an error; a task whose
 * stages are all reused launches none. With `videos` every task gets one the same way, for the videos of its
 * final evaluations.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeEnv } from '../../envs/index.ts';
import { RandomPolicy } from '../../policies/baselines/random.ts';
import type { Policy } from '../../policies/core/policy.ts';
import { policyRegistration } from '../../policies/index.ts';
import { collect, collectConfig } from '../collect/collect.ts';
import { expertFor, stateLabelInput } from '../collect/experts.ts';
import { isPixelObsType } from '../../envs/core/camera.ts';
import { diversityProbe, multimodalSeed, PROBE_RADIUS, probeRadius, type DiversityProbe } from '../eval/diversity.ts';
import { evalRun, loadRunPolicy, samplerOf } from '../eval/eval-run.ts';
import { aggregate, evaluate, testSeeds, type EvalInfo } from '../eval/evaluate.ts';
import { ExpertPolicy } from '../eval/expert-policy.ts';
import { chunkLatency, startHistory, type LatencyRow, type StartHistory } from '../eval/latency.ts';
import { mean, std } from '../eval/metrics.ts';
import { summarizeModes } from '../eval/multimodality.ts';
import type { EpisodeRecord } from '../eval/rollout.ts';
import { Renderer } from '../render/renderer.ts';
import { readLeaderboard, writeLeaderboard, type Leaderboard, type LeaderboardRow } from '../report/leaderboard.ts';
import { parseRunConfig, runDirOf, trainRun, type RunConfig } from '../train/run.ts';
import { lastCheckpointStep } from '../train/checkpoint.ts';
import { envInfo, ROOT } from '../util/env-info.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { cfgHash, stableStringify } from '../util/hash.ts';
import { evalProgress, progress } from '../util/progress.ts';
import type { BenchProfile, TaskEntry, TrainedEntry } from './profiles.ts';
import { checkProfile, taskEntries } from './schedule.ts';

export interface BenchOptions {
  profile: BenchProfile;
  resultsDir: string;
  /** Test episodes per row (default: the profile's). */
  episodes?: number;
  seedStart: number;
  /** Rewrite the README's leaderboard table. */
  updateReadme: boolean;
  /**
   * Run only the tasks of these envs; every other task's rows are kept, unchanged, from the leaderboard already in
   * `resultsDir` — which must be this profile's, its rows made by the runs the profile names now, on the same test
   * seeds (checked before anything runs). For re-running one env after its tasks changed, without the hours of the rest.
   */
  only?: string[];
  log?: (line: string) => void;
  /**
   * Videos (`eval/<checkpoint>/videos/ep_<seed>.{gif,mp4}`, linked from the leaderboard page) of the first n test
   * episodes of each row's final evaluation — a trained row's last checkpoint of every training seed, a baseline's
   * only one — drawn by the task's renderer (launched for state tasks too when n > 0). Failures beyond the first n
   * are not recorded: on a weak row that would be every episode of every checkpoint. Default 0. An evaluation
   * the bench reuses keeps the videos it has.
   */
  videos?: number;
}

/** Checkpoint step folders of a run, oldest first. */
export function checkpointSteps(runDir: string): string[] {
  const dir = path.join(runDir, 'checkpoints');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /^\d{6}$/.test(n) && existsSync(path.join(dir, n, 'trainer_state.json')))
    .sort();
}

interface Ctx {
  o: BenchOptions;
  p: BenchProfile;
  task: TaskEntry;
  seeds: number[];
  demoLabels: string[];
  log: (line: string) => void;
  /** Image tasks: the task's renderer, launched on the first call. */
  renderer?: () => Promise<Renderer>;
  /** Videos asked for: the first n episodes of final evaluations, drawn by this renderer (the task's, shared with `renderer`). */
  videos?: { first: number; renderer: () => Promise<Renderer> };
}

export async function runBench(o: BenchOptions): Promise<Leaderboard> {
  const p = o.profile;
  const episodes = o.episodes ?? p.episodes;
  const seeds = testSeeds(episodes, o.seedStart);
  const log = o.log ?? ((l: string) => console.error(l));
  checkProfile(p);
  // Every run config parses before anything runs: a typo fails now, not after an hour of collecting and training.
  for (const task of p.tasks) for (const e of taskEntries(p, task)) if (e.kind === 'trained') for (const seed of p.trainingSeeds) runConfigFor({ p, task }, e, seed);
  const kept = o.only ? keptRows(o, p, seeds, o.only) : undefined;
  const rows: LeaderboardRow[] = [];
  const demos: NonNullable<Leaderboard['demos']> = {};
  for (const task of p.tasks) {
    const keptHere = kept?.rows.get(task); // only tasks that --only leaves out have kept rows
    if (keptHere) {
      log(`[${p.name}] ${task.env} ${task.obsType}: keeping its ${keptHere.length} rows (--only ${o.only!.join(',')})`);
      rows.push(...keptHere);
      demos[task.env] = kept!.demos[task.env];
      continue;
    }
    let launched: Promise<Renderer> | undefined;
    const launch = () => (launched ??= Renderer.launch());
    const renderer = isPixelObsType(task.obsType) ? launch : undefined;
    try {
      const demoLabels = await demoLabelsOf(o, p, task, renderer);
      const ds = summarizeModes(demoLabels, demoLabels, expertFor(task.env).modes);
      // Tasks on one env share their demonstrations (checkProfile), so the env's histogram is the same from each.
      demos[task.env] = { episodes: demoLabels.length, histogram: ds.demoHistogram, none: ds.neutral.demo };
      const ctx: Ctx = { o, p, task, seeds, demoLabels, log, ...(renderer ? { renderer } : {}), ...(o.videos ? { videos: { first: o.videos, renderer: launch } } : {}) };
      const entries = taskEntries(p, task);
      for (const [i, entry] of entries.entries()) {
        log(`[${p.name}] ${task.env} ${task.obsType} ${entry.kind === 'trained' ? entry.policy.id : entry.kind} (${i + 1}/${entries.length})`);
        rows.push(entry.kind === 'trained' ? await trainedRow(ctx, entry) : await baselineRow(ctx, entry.kind));
      }
    } finally {
      if (launched) await (await launched.catch(() => null))?.close();
    }
  }
  const lb: Leaderboard = {
    generated: new Date().toISOString(),
    profile: p.name,
    protocol: protocolText(p, seeds),
    demos,
    rows,
  };
  await writeLeaderboard(o.resultsDir, lb, o.updateReadme ? path.join(ROOT, 'README.md') : undefined);
  return lb;
}

/**
 * The mode labels of a task's demonstrations, collected or reused. An image task collects its camera images
 * here, with its renderer, and its training runs reuse that dataset (the images themselves are not kept).
 */
async function demoLabelsOf(o: BenchOptions, p: BenchProfile, task: TaskEntry, renderer: (() => Promise<Renderer>) | undefined): Promise<string[]> {
  const bar = progress(`[${p.name}] collect ${task.env} demos${renderer ? ' with images' : ''}`, demosOf(p, task));
  const data = await collect(collectConfig(task.env, demosOf(p, task), 0, cameraSide(task)), { resultsDir: o.resultsDir, renderer, onEpisode: (d) => bar.update(d) });
  bar.stop();
  return data.buffer.getMeta('label').map(String);
}

/** What the numbers of each task mean (shown above the table). */
const TASK_PROTOCOL: Record<string, string> = {
  'PushT-v0':
    "PushT-v0: score = max over steps of clip(coverage/0.95, 0, 1) (the paper's number); success = coverage > 0.95 at some step (LeRobot's); final coverage at the last step; 300 steps max. Modes: the direction the T was turned (cw/ccw; none = turned < 3°).",
  'BlockStack-v0':
    'BlockStack-v0: score = max over steps of the reward (cubes placed / 2, so 1 = a tower of three); success = all three in one tower; p1 / p2 = at least one / two cubes placed at some step; "final coverage" = cubes placed / 2 at the last step; 400 steps max. Modes: the stacking order, bottom to top (e.g. RGB = red at the bottom), from which cube was lifted first and second.',
};

function protocolText(p: BenchProfile, seeds: number[]): string {
  return [
    `Profile \`${p.name}\` (${p.description}).`,
    `Test seeds ${seeds[0]}…${seeds[seeds.length - 1]} (${seeds.length} episodes per checkpoint), the same for every row; intervals: 95% Wilson over the pooled episodes of the last checkpoint of every training seed.`,
    ...[...new Set(p.tasks.map((t) => t.env))].map((env) => `${TASK_PROTOCOL[env] ?? env} Demonstrations: ${demosOf(p, p.tasks.find((t) => t.env === env)!)}.`),
    ...p.tasks.filter((t) => isPixelObsType(t.obsType)).map((t) => `${t.env} image rows (obs ${t.obsType}): the policy sees the ${cameraSide(t)}×${cameraSide(t)} camera image and the agent's own state (agent_pos), nothing else; modes are labelled from the env's state. Expert and random rows do not look at observations: one pair per env.`),
    `Trained rows: ${p.trainingSeeds.length} training seed(s), evaluated at the last ${p.lastK} checkpoint(s) with their EMA weights; "± std" is across training seeds.`,
    "JS = Jensen–Shannon divergence (bits) of the rollouts' mode histogram to the demonstrations'; commitment = mean share of an episode's labelled 8-step stretches in its main mode.",
    `Latency: ms per action chunk (one policy call) at batch 1 and ${p.nEnvs}, DDPM-100 and DDIM-${p.latency.ddimSteps}. Diversity: ${p.diversity.K} noise seeds on one start where several modes are reasonable; clusters of the predicted sequences' endpoints (single linkage at ${Object.entries(PROBE_RADIUS).map(([e, r]) => `${r} for ${e}`).join(', ')}, in action units).`,
  ].join(' ');
}

function modesBlock(ctx: Ctx, eps: readonly EpisodeRecord[]): LeaderboardRow['modes'] {
  const spec = expertFor(ctx.task.env);
  const m = summarizeModes(ctx.demoLabels, eps.map((e) => e.mode ?? 'none'), spec.modes);
  const a = aggregate(eps, 0);
  return { histogram: m.rolloutHistogram, none: m.neutral.rollout, jsToDemos: m.jsToDemos, entropy: m.rolloutEntropy, commitment: a.commitment, switchRate: a.switch_rate };
}

/** The leaderboard's score columns, from evaluate's own aggregation of the episodes. */
function scoreBlock(eps: readonly EpisodeRecord[]) {
  const a = aggregate(eps, 0);
  return {
    episodes: a.n_episodes,
    avgMaxReward: a.avg_max_reward,
    successRate: a.success_rate,
    avgFinalCoverage: a.avg_final_coverage,
    avgLength: a.avg_length,
    ...(a.event_rates && { events: a.event_rates }),
  };
}

/** evaluate's video options for a final evaluation (none unless the bench was asked for videos). */
const videosOf = (ctx: Ctx) => (ctx.videos ? { videos: { first: ctx.videos.first, failures: false } } : {});

/** A baseline row's policy, the config that names its run, and the run folder. */
function baselineRun(resultsDir: string, p: BenchProfile, task: TaskEntry, kind: 'expert' | 'random', seeds: number[]) {
  const probe = makeEnv(task.env, { obsType: task.obsType });
  const { actionSpace, observationSpace } = probe.spec;
  probe.close();
  const policy: Policy =
    kind === 'random'
      ? new RandomPolicy({ obsDim: observationSpace.size, low: actionSpace.low, high: actionSpace.high })
      : new ExpertPolicy(task.env, observationSpace.size, actionSpace.size);
  const config = { env: task.env, envOptions: { obsType: task.obsType }, policy: policy.config, seeds: { first: seeds[0], count: seeds.length }, nEnvs: p.nEnvs, trainingSeed: 0 };
  return { policy, config, runDir: path.join(resultsDir, 'runs', `${task.env}__${kind}__s0__${cfgHash(config)}`) };
}

/**
 * `only`: the rows of the tasks it leaves out, from the leaderboard in resultsDir, after checking that each is the
 * row this profile would make — the run its config names now (trained rows: the first training seed's), evaluated on
 * these test seeds — so a kept row never stands beside new ones under another protocol.
 */
function keptRows(o: BenchOptions, p: BenchProfile, seeds: number[], only: string[]): { rows: Map<TaskEntry, LeaderboardRow[]>; demos: NonNullable<Leaderboard['demos']> } {
  const envs = [...new Set(p.tasks.map((t) => t.env))];
  for (const env of only) if (!envs.includes(env)) throw new Error(`bench --only: ${JSON.stringify(env)} is not an env of profile ${p.name}; its envs: ${envs.join(', ')}`);
  const rows = new Map<TaskEntry, LeaderboardRow[]>();
  const demos: NonNullable<Leaderboard['demos']> = {};
  const skipped = p.tasks.filter((t) => !only.includes(t.env));
  if (skipped.length === 0) return { rows, demos }; // every env runs: nothing to keep, no leaderboard needed
  const file = path.join(o.resultsDir, 'leaderboard.json');
  const what = `bench --only ${only.join(',')}`;
  if (!existsSync(file)) throw new Error(`${what}: the other envs' rows come from ${file}, which does not exist; run the whole profile once first`);
  const prev = readLeaderboard(file);
  if (prev.profile !== p.name) throw new Error(`${what}: ${file} holds profile ${JSON.stringify(prev.profile)}, not ${p.name}; its rows cannot be kept`);
  const rerun = 'run the whole profile (without --only) to bring it up to date';
  for (const task of skipped) {
    const d = prev.demos?.[task.env];
    if (!d || d.episodes !== demosOf(p, task)) throw new Error(`${what}: ${file} has ${d ? d.episodes : 'no'} ${task.env} demonstrations, the profile ${demosOf(p, task)}; ${rerun}`);
    demos[task.env] = d;
    rows.set(
      task,
      taskEntries(p, task).map((e) => {
        const id = e.kind === 'trained' ? e.policy.id : e.kind;
        const name = `${task.env} ${id} (${task.obsType})`;
        const row = prev.rows.find((r) => r.env === task.env && r.obs === task.obsType && r.policy === id);
        if (!row) throw new Error(`${what}: ${file} has no ${name} row; ${rerun}`);
        const runDir = e.kind === 'trained' ? runDirOf(o.resultsDir, runConfigFor({ p, task }, e, p.trainingSeeds[0])) : baselineRun(o.resultsDir, p, task, e.kind, seeds).runDir;
        const want = path.relative(o.resultsDir, runDir);
        if (row.run !== want) throw new Error(`${what}: the ${name} row came from ${row.run}, but the profile now names ${want}; ${rerun}`);
        const infoFile = path.join(o.resultsDir, row.evalInfo);
        if (!existsSync(infoFile)) throw new Error(`${what}: the ${name} row's ${infoFile} does not exist; ${rerun}`);
        const got = (JSON.parse(readFileSync(infoFile, 'utf8')) as EvalInfo).per_episode.map((ep) => ep.seed);
        if (stableStringify(got) !== stableStringify(seeds)) throw new Error(`${what}: the ${name} row was evaluated on test seeds ${got[0]}…${got.at(-1)} (${got.length}), this bench uses ${seeds[0]}…${seeds.at(-1)} (${seeds.length}); ${rerun}`);
        return row;
      }),
    );
  }
  return { rows, demos };
}

async function baselineRow(ctx: Ctx, kind: 'expert' | 'random'): Promise<LeaderboardRow> {
  const { task, seeds, o, p } = ctx;
  const { policy, config, runDir } = baselineRun(o.resultsDir, p, task, kind, seeds);
  const outDir = path.join(runDir, 'eval', 'final');
  const infoFile = path.join(outDir, 'eval_info.json');
  let info: EvalInfo;
  if (existsSync(infoFile) && existsSync(path.join(runDir, 'config.json')) && readFileSync(path.join(runDir, 'config.json'), 'utf8').trim() === JSON.stringify(config, null, 2).trim()) {
    info = JSON.parse(readFileSync(infoFile, 'utf8')) as EvalInfo;
    ctx.log(`  reusing ${path.relative(o.resultsDir, infoFile)}`);
  } else {
    writeJsonAtomic(path.join(runDir, 'config.json'), config);
    writeJsonAtomic(path.join(runDir, 'env_info.json'), envInfo());
    const bar = evalProgress(`[${p.name}] eval ${task.env} ${kind}`, seeds.length);
    // Images carry no mode label: pixel tasks are labelled from the state the expert records (as evalRun does).
    const labelInput = isPixelObsType(task.obsType) ? { labelInput: stateLabelInput(task.env) } : {};
    const draw = ctx.videos?.renderer ?? ctx.renderer;
    const renderer = draw ? { renderer: await draw() } : {};
    info = await evaluate({ envId: task.env, envOptions: { obsType: task.obsType }, policy, seeds, nEnvs: p.nEnvs, labeler: expertFor(task.env).labelObservations, ...labelInput, ...renderer, ...videosOf(ctx), outDir, onEpisode: bar.onEpisode });
    bar.stop();
  }
  const lat = info.aggregated.policy_latency;
  return {
    env: task.env,
    policy: kind,
    obs: task.obsType,
    ...scoreBlock(info.per_episode),
    modes: modesBlock(ctx, info.per_episode),
    latency: lat ? [{ sampler: kind === 'random' ? 'uniform' : 'scripted', batch: Math.round(lat.mean_batch), ms_mean: lat.ms_per_call_mean, ms_median: lat.ms_per_call_median, reps: lat.calls }] : undefined,
    evalInfo: path.relative(o.resultsDir, infoFile),
    run: path.relative(o.resultsDir, runDir),
  };
}

function runConfigFor(ctx: Pick<Ctx, 'p' | 'task'>, entry: TrainedEntry, seed: number): RunConfig {
  const k = ctx.task.stepScale ?? 1;
  // 0 stays 0 (valEvery 0: no validation); anything else stays ≥ 1.
  const scale = (v: number) => (v === 0 ? 0 : Math.max(1, Math.round(v * k)));
  const scaled = k === 1 ? {} : Object.fromEntries((['steps', 'checkpointEvery', 'valEvery'] as const).filter((f) => typeof entry.train[f] === 'number').map((f) => [f, scale(entry.train[f] as number)]));
  return parseRunConfig({
    env: ctx.task.env,
    obsType: ctx.task.obsType,
    dataset: { episodes: demosOf(ctx.p, ctx.task), seedStart: 0 },
    policy: entry.policy,
    train: { ...entry.train, ...scaled, seed },
  });
}

const demosOf = (p: BenchProfile, t: TaskEntry) => t.demos ?? p.demos;

/** Side of an image task's camera images: its env's own rendering size, as training collects them (undefined for low-dim tasks). */
function cameraSide(task: TaskEntry): number | undefined {
  if (!isPixelObsType(task.obsType)) return undefined;
  const probe = makeEnv(task.env, { obsType: task.obsType });
  const side = probe.spec.pixels?.width;
  probe.close();
  return side;
}

/** Trains (or resumes, or reuses) one run to its last step; returns the run folder. */
async function ensureTrained(ctx: Ctx, cfg: RunConfig): Promise<string> {
  const runDir = runDirOf(ctx.o.resultsDir, cfg);
  const done = lastCheckpointStep(runDir);
  if (done >= cfg.train.steps) {
    ctx.log(`  reusing ${path.relative(ctx.o.resultsDir, runDir)} (trained to step ${done})`);
    return runDir;
  }
  const configFile = path.join(runDir, 'config.json');
  if (done > 0 && existsSync(configFile) && stableStringify(JSON.parse(readFileSync(configFile, 'utf8'))) !== stableStringify(cfg)) {
    throw new Error(`bench: ${runDir} holds another config; remove it to retrain`);
  }
  const bar = progress(`[${ctx.p.name}] train ${cfg.policy.id} s${cfg.train.seed}${done > 0 ? ` (resumed at ${done})` : ''}`, cfg.train.steps, { from: done });
  const { prepared } = await trainRun(cfg, {
    resultsDir: ctx.o.resultsDir,
    resume: done > 0,
    onLog: (i) => bar.update(i.step, { loss: i.loss, ...(i.valLoss !== undefined ? { 'val loss': i.valLoss } : {}), 'steps/s': i.stepsPerSecond }),
  });
  bar.stop();
  prepared.policy.dispose();
  return runDir;
}

async function trainedRow(ctx: Ctx, entry: TrainedEntry): Promise<LeaderboardRow> {
  const { p, seeds, o } = ctx;
  const perSeed: Array<{ seed: number; runDir: string; last: EvalInfo; scores: number[]; successes: number[] }> = [];
  for (const seed of p.trainingSeeds) {
    const cfg = runConfigFor(ctx, entry, seed);
    const runDir = await ensureTrained(ctx, cfg);
    const ckpts = checkpointSteps(runDir).slice(-p.lastK);
    const infos: EvalInfo[] = [];
    for (const [i, ck] of ckpts.entries()) {
      const bar = evalProgress(`[${p.name}] eval ${cfg.policy.id} s${seed} @${Number(ck)}`, seeds.length);
      const last = i === ckpts.length - 1;
      const draw = (last && ctx.videos?.renderer) || ctx.renderer;
      const r = await evalRun({ target: path.join(runDir, 'checkpoints', ck), episodes: seeds.length, seedStart: seeds[0], nEnvs: p.nEnvs, ema: true, ddimSteps: 0, reuse: true, renderer: draw, ...(last ? videosOf(ctx) : {}), onEpisode: bar.onEpisode });
      bar.stop();
      if (r.reused) ctx.log(`  reusing ${path.relative(o.resultsDir, r.outDir)}`);
      infos.push(r.info);
    }
    perSeed.push({ seed, runDir, last: infos[infos.length - 1], scores: infos.map((i) => i.aggregated.avg_max_reward.value), successes: infos.map((i) => i.aggregated.success_rate.value) });
  }
  const pooled = perSeed.flatMap((s) => s.last.per_episode);
  const stat = (xs: number[]) => ({ mean: mean(xs), std: xs.length > 1 ? std(xs) : 0, values: xs });
  const first = perSeed[0];
  const extras = await latencyAndDiversity(ctx, first.runDir);
  const cfg0 = runConfigFor(ctx, entry, first.seed);
  return {
    env: ctx.task.env,
    policy: entry.policy.id,
    obs: ctx.task.obsType,
    ...scoreBlock(pooled),
    modes: modesBlock(ctx, pooled),
    trainingSeeds: {
      seeds: perSeed.map((s) => s.seed),
      avgMaxReward: stat(perSeed.map((s) => s.scores[s.scores.length - 1])),
      successRate: stat(perSeed.map((s) => s.successes[s.successes.length - 1])),
    },
    checkpoints: {
      lastK: p.lastK,
      steps: cfg0.train.steps,
      sampler: samplerOf(cfg0),
      meanOfLastK: stat(perSeed.map((s) => mean(s.scores))),
      bestOfLastK: stat(perSeed.map((s) => Math.max(...s.scores))),
    },
    latency: extras.latency,
    diversity: extras.diversity,
    evalInfo: path.relative(o.resultsDir, path.join(first.runDir, 'eval', `${path.basename(checkpointSteps(first.runDir).at(-1)!)}-${samplerOf(cfg0)}`, 'eval_info.json')),
    run: path.relative(o.resultsDir, first.runDir),
  };
}

/**
 * Latency (both samplers for diffusion policies) and the action-diversity probe of a run's last checkpoint,
 * on the first test seed's start (image tasks: its camera image, rendered by the task's renderer).
 */
async function latencyAndDiversity(ctx: Ctx, runDir: string): Promise<{ latency: LatencyRow[]; diversity?: DiversityProbe }> {
  const { p, task } = ctx;
  const cached = path.join(runDir, 'eval', `probes-${cfgHash({ last: lastCheckpointStep(runDir), latency: p.latency, diversity: p.diversity, nEnvs: p.nEnvs, seeds: ctx.seeds })}.json`);
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as { latency: LatencyRow[]; diversity?: DiversityProbe };
  const envOptions = { obsType: task.obsType };
  const renderer = ctx.renderer ? await ctx.renderer() : undefined;
  const latency: LatencyRow[] = [];
  let diversity: DiversityProbe | undefined;
  const own = await loadRunPolicy(runDir, { ema: true, ddimSteps: 0 });
  const diffusion = policyRegistration(own.cfg.policy.id).stochastic;
  // The samplers below are the same network: one history serves them all.
  let history: StartHistory;
  try {
    history = await startHistory(task.env, envOptions, ctx.seeds[0], own.cfg.policy.obsHorizon, renderer);
    const probeSeed = multimodalSeed(task.env, ctx.seeds);
    diversity = await diversityProbe(own.prepared.policy, { envId: task.env, envOptions, seed: probeSeed, K: p.diversity.K, radius: probeRadius(task.env), renderer });
    if (!diffusion) {
      for (const batch of [1, p.nEnvs]) latency.push(await chunkLatency(own.prepared.policy, history, { sampler: 'deterministic', batch, reps: p.latency.reps }));
    }
  } finally {
    own.prepared.policy.dispose();
  }
  if (diffusion) {
    for (const sampler of ['ddpm', p.latency.ddimSteps] as const) {
      const run = await loadRunPolicy(runDir, { ema: true, ddimSteps: sampler });
      try {
        for (const batch of [1, p.nEnvs]) {
          ctx.log(`  latency ${samplerOf(run.cfg)} batch ${batch}`);
          latency.push(await chunkLatency(run.prepared.policy, history, { sampler: samplerOf(run.cfg), batch, reps: p.latency.reps }));
        }
      } finally {
        run.prepared.policy.dispose();
      }
    }
  }
  writeJsonAtomic(cached, { latency, diversity });
  return { latency, diversity };
}
