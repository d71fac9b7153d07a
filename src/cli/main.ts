/**
 * The `dpbench` command line. Commands are thin: parse, validate, call src/*.
 *
 *   dpbench envs                      list registered envs
 *   dpbench bench [--profile quick] [--check reference.json] [--only BlockStack-v0]
 *                                     collect → train → evaluate → report; results/leaderboard.*, index.html
 *   dpbench report                    leaderboard.md, index.html and the README table again from leaderboard.json
 *   dpbench collect --env PushT-v0 --episodes 200 --seed-start 0 [--images 96]
 *                                     scripted-expert demonstrations → results/datasets/<env>-<hash>/
 *                                     (with camera images as data/img)
 *   dpbench train --policy diffusion_unet [--config run.json] [--steps N] [--resume] [--backend auto]
 *                                     train a policy → results/runs/<env>__<policy>__s<seed>__<hash>/
 *   dpbench eval --run <run or checkpoint folder> [--episodes 50] [--ddim 16 | --ddpm] [--videos 4 | --no-videos]
 *                                     roll a checkpoint out on the test seeds → <run>/eval/<ckpt>/eval_info.json
 *                                     and videos/ep_<seed>.{gif,mp4} (first n episodes and the failures)
 */
import { Command, InvalidArgumentError } from 'commander';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { envIds, envRegistration } from '../../envs/index.ts';
import { runBench } from '../bench/bench.ts';
import { checkAgainst } from '../bench/check.ts';
import { PROFILE_NAMES, profile } from '../bench/profiles.ts';
import { collect, collectConfig } from '../collect/collect.ts';
import { evalProgress, progress } from '../util/progress.ts';
import { BACKENDS, initBackend, type BackendChoice } from '../backend.ts';
import { parseRunConfig, runDirOf, trainRun } from '../train/run.ts';
import { lastCheckpointStep } from '../train/checkpoint.ts';
import { DEFAULT_TRAIN_ENV, mergeTrainFlags } from './train-flags.ts';
import { evalRun } from '../eval/eval-run.ts';
import { leaderboardMarkdown, readLeaderboard, writeLeaderboard } from '../report/leaderboard.ts';
import { ROOT } from '../util/env-info.ts';

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
}

function nonNegativeInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
    return n;
  };
}

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new InvalidArgumentError(`${what}: ${file} does not exist`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidArgumentError(`${what}: ${file} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

const program = new Command()
  .name('dpbench')
  .description('Simulation-in-the-loop benchmark harness for visuomotor imitation learning (Diffusion Policy).')
  .showHelpAfterError();

program
  .command('envs')
  .description('list the registered environments')
  .action(() => {
    for (const id of envIds()) console.log(`${id}\t${envRegistration(id).description}`);
  });

program
  .command('bench')
  .description('one bench profile end to end (collect → train → evaluate → report): results/leaderboard.{json,md}, index.html')
  .option('--profile <name>', `${PROFILE_NAMES.join(', ')} (smoke: the pipeline in minutes; quick: ~2 h on 2 CPU cores; paper: the original's configs)`, 'quick')
  .option('--episodes <n>', "test episodes per row (default: the profile's)", positiveInt('--episodes'))
  .option('--seed-start <n>', 'first test seed', nonNegativeInt('--seed-start'), 100000)
  .option('--results <dir>', 'results folder (default: results/ for quick, results/<profile>/ otherwise)')
  .option('--check <reference.json>', 'compare with a reference leaderboard and fail when a metric falls below its 95% interval')
  .option('--only <envs>', "run only these envs' tasks (comma-separated, e.g. BlockStack-v0) and keep the other rows of the results folder's leaderboard, when they are this profile's runs on the same test seeds")
  .option('--videos <n>', "videos (ep_<seed>.{gif,mp4}, linked from index.html) of the first n test episodes of each row's final evaluation", nonNegativeInt('--videos'), 4)
  .option('--no-videos', 'write no videos (no browser is launched for state tasks)')
  .option('--no-readme', 'do not rewrite the README leaderboard table (only the quick profile writes it)')
  .option('--backend <name>', `tfjs backend: ${BACKENDS.join(', ')}`, 'auto')
  .action(async (o: { profile: string; episodes?: number; seedStart: number; results?: string; check?: string; only?: string; videos: number | false; readme: boolean; backend: string }) => {
    const p = profile(o.profile);
    // Read the reference first: a bad path should fail before an hour of training, not after.
    const reference = o.check ? readJson(o.check, '--check') : undefined;
    await initBackend(o.backend as BackendChoice);
    const resultsDir = path.resolve(o.results ?? (p.name === 'quick' ? path.join(ROOT, 'results') : path.join(ROOT, 'results', p.name)));
    const only = o.only?.split(',').map((e) => e.trim()).filter((e) => e !== '');
    if (o.only !== undefined && !only?.length) throw new Error(`--only: expected env ids separated by commas (e.g. BlockStack-v0), got ${JSON.stringify(o.only)}`);
    const lb = await runBench({ profile: p, resultsDir, episodes: o.episodes, seedStart: o.seedStart, updateReadme: o.readme && p.name === 'quick' && !o.results, ...(only && { only }), ...(o.videos ? { videos: o.videos } : {}) });
    console.log(leaderboardMarkdown(lb));
    console.log(`wrote ${path.join(resultsDir, 'leaderboard.json')} and leaderboard.md`);
    if (reference !== undefined) {
      const res = checkAgainst(reference, lb, o.check);
      console.log(res.report);
      if (!res.ok) process.exitCode = 1;
    }
  });

program
  .command('report')
  .description('regenerate results/leaderboard.md, index.html and the README table from results/leaderboard.json (runs nothing)')
  .option('--results <dir>', 'results folder holding leaderboard.json', path.join(ROOT, 'results'))
  .option('--no-readme', 'do not rewrite the README leaderboard table')
  .action(async (o: { results: string; readme: boolean }) => {
    const resultsDir = path.resolve(o.results);
    await writeLeaderboard(resultsDir, readLeaderboard(path.join(resultsDir, 'leaderboard.json')), o.readme ? path.join(ROOT, 'README.md') : undefined);
    console.log(`wrote ${path.join(resultsDir, 'leaderboard.md')} and ${path.join(resultsDir, 'index.html')}`);
  });

program
  .command('collect')
  .description('collect scripted-expert demonstrations into a Zarr replay buffer (results/datasets/<env>-<cfgHash>/)')
  .requiredOption('--env <id>', 'env id, e.g. PushT-v0')
  .option('--episodes <n>', 'demonstrations to collect (failed expert episodes are skipped)', positiveInt('--episodes'), 200)
  .option('--seed-start <n>', 'first env seed (training demos use 0+)', nonNegativeInt('--seed-start'), 0)
  .option('--images [px]', 'also store camera images, data/img (N, px, px, 3) uint8 (default 96, as the original)')
  .option('--out <dir>', 'dataset folder (default: results/datasets/<env>-<cfgHash>)')
  .option('--results <dir>', 'results folder', path.join(ROOT, 'results'))
  .action(async (o: { env: string; episodes: number; seedStart: number; images?: boolean | string; out?: string; results: string }) => {
    const images = o.images === undefined ? undefined : o.images === true ? 96 : positiveInt('--images')(o.images as string);
    const config = collectConfig(o.env, o.episodes, o.seedStart, images);
    const bar = progress(`collect ${o.env}`, o.episodes);
    const res = await collect(config, {
      resultsDir: path.resolve(o.results),
      out: o.out ? path.resolve(o.out) : undefined,
      onEpisode: (done, total, _s, attempted) => bar.update(done, { success: `${done}/${attempted}` }),
    });
    bar.stop();
    const s = res.stats;
    console.log(`${res.reused ? 'reused' : 'wrote'} ${res.store}`);
    console.log(
      `${s.demonstrations} demonstrations from ${s.attempted} seeds; expert success ${(100 * s.successRate.value).toFixed(1)}% [95% CI ${(100 * s.successRate.low).toFixed(1)}, ${(100 * s.successRate.high).toFixed(1)}]; modes ${JSON.stringify(s.modes)}; label agreement ${(100 * s.labelAgreement).toFixed(1)}%; length mean ${s.length.mean.toFixed(1)} (median ${s.length.median}, ${s.length.min}–${s.length.max}); ${s.episodesPerSecond.toFixed(2)} episodes/s; ${(s.bytesOnDisk / 2 ** 20).toFixed(2)} MiB on disk`,
    );
  });

function list(name: string) {
  return (v: string): number[] => {
    const xs = v.split(',').map(Number);
    if (!xs.length || !xs.every((x) => Number.isInteger(x) && x > 0)) throw new InvalidArgumentError(`${name} must be comma-separated positive integers, got ${JSON.stringify(v)}`);
    return xs;
  };
}

program
  .command('train')
  .description('train a policy on expert demonstrations (collected or reused) into results/runs/<env>__<policy>__s<seed>__<cfgHash>/')
  .option('--config <file>', 'run config JSON (see src/train/run.ts RunConfig); flags below override it')
  .option('--env <id>', `env id (default: the config's, else ${DEFAULT_TRAIN_ENV})`)
  .option('--policy <id>', 'diffusion_unet (DP-C), diffusion_transformer (DP-T) or mlp_bc (the MLP-BC baseline)')
  .option('--obs <type>', 'observation type: state, keypoints or pixels_agent_pos (camera image + agent position; diffusion policies)')
  .option('--episodes <n>', 'demonstrations to train on', positiveInt('--episodes'))
  .option('--steps <n>', 'optimizer steps', positiveInt('--steps'))
  .option('--batch-size <n>', 'windows per batch', positiveInt('--batch-size'))
  .option('--lr <x>', 'peak learning rate', (v) => {
    const x = Number(v);
    if (!(x > 0)) throw new InvalidArgumentError(`--lr must be a positive number, got ${JSON.stringify(v)}`);
    return x;
  })
  .option('--down-dims <list>', 'U-Net channels per level, e.g. 64,128,256', list('--down-dims'))
  .option('--seed <n>', 'training seed', nonNegativeInt('--seed'))
  .option('--micro-batch <n>', 'windows per micro-batch (the parts the gradient threads share; 0: whole batches)', nonNegativeInt('--micro-batch'))
  .option('--workers <n>', 'gradient threads (default: one per core, at most 2, on wasm/cpu; the weights do not depend on it)', positiveInt('--workers'))
  .option('--resume', 'continue an interrupted run with the same config', false)
  .option('--backend <name>', `tfjs backend: ${BACKENDS.join(', ')}`, 'auto')
  .option('--results <dir>', 'results folder', path.join(ROOT, 'results'))
  .action(async (o: { config?: string; env?: string; policy?: string; obs?: string; episodes?: number; steps?: number; batchSize?: number; lr?: number; downDims?: number[]; seed?: number; microBatch?: number; workers?: number; resume: boolean; backend: string; results: string }) => {
    const base = o.config ? readJson(o.config, '--config') : {};
    if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new InvalidArgumentError(`--config: ${o.config} must hold a JSON object (a run config), got ${Array.isArray(base) ? 'an array' : JSON.stringify(base)}`);
    const raw = mergeTrainFlags(base as Record<string, unknown>, o);
    if (!raw.policy.id) throw new InvalidArgumentError('--policy is required (diffusion_unet, diffusion_transformer or mlp_bc), or a config with policy.id');
    if (!raw.train.steps) throw new InvalidArgumentError('--steps is required, or a config with train.steps');
    const cfg = parseRunConfig(raw);
    const backend = await initBackend(o.backend as BackendChoice);
    console.error(`backend: ${backend.name}${backend.details.adapter ? ` (${JSON.stringify(backend.details.adapter)})` : ''}`);
    let collectBar: ReturnType<typeof progress> | null = null;
    const resultsDir = path.resolve(o.results);
    const bar = progress(`train ${cfg.policy.id}`, cfg.train.steps, { from: o.resume ? lastCheckpointStep(runDirOf(resultsDir, cfg)) : 0 });
    const { runDir, result, prepared } = await trainRun(cfg, {
      resultsDir,
      resume: o.resume,
      onCollect: (done, total) => {
        collectBar ??= progress(`collect ${cfg.env}`, total);
        collectBar.update(done);
      },
      onLog: (i) => bar.update(i.step, { loss: i.loss, ...(i.valLoss !== undefined ? { 'val loss': i.valLoss } : {}), 'steps/s': i.stepsPerSecond }),
    });
    bar.stop();
    console.log(`${result.resumedFrom !== null ? `resumed at step ${result.resumedFrom}; ` : ''}trained ${prepared.policy.parameterCount().toLocaleString('en-US')} parameters to step ${result.step}, loss ${result.finalLoss.toFixed(4)} (${result.workers} gradient thread${result.workers > 1 ? 's' : ''})`);
    console.log(`run: ${runDir}\ncheckpoint: ${result.checkpoint}`);
    prepared.policy.dispose();
  });

program
  .command('eval')
  .description('evaluate a trained checkpoint on the protocol test seeds (writes <run>/eval/<checkpoint>/eval_info.json)')
  .requiredOption('--run <dir>', 'a run folder (its checkpoints/last), or a checkpoint folder')
  .option('--episodes <n>', 'test episodes', positiveInt('--episodes'), 50)
  .option('--seed-start <n>', 'first test seed', nonNegativeInt('--seed-start'), 100000)
  .option('--n-envs <n>', 'envs stepped in lockstep (one batched policy call per decision)', positiveInt('--n-envs'), 10)
  .option('--ddim <k>', 'sample with DDIM in k steps instead of the run\'s sampler', positiveInt('--ddim'))
  .option('--ddpm', 'sample with DDPM over all training steps instead of the run\'s sampler (the paper\'s sim protocol)')
  .option('--no-ema', 'evaluate the raw weights instead of the EMA ones')
  .option('--videos <n>', 'write videos/ep_<seed>.{gif,mp4} of the first n episodes (and of every failure)', nonNegativeInt('--videos'), 4)
  .option('--no-videos', 'write no videos (no browser is launched for state-based runs)')
  .option('--no-video-failures', 'do not record the failed episodes beyond the first n')
  .option('--video-size <px>', 'video frame side (default: the observation image size, else 96 as the original)', positiveInt('--video-size'))
  .option('--backend <name>', `tfjs backend: ${BACKENDS.join(', ')}`, 'auto')
  .action(async (o: { run: string; episodes: number; seedStart: number; nEnvs: number; ddim?: number; ddpm?: boolean; ema: boolean; videos: number | false; videoFailures: boolean; videoSize?: number; backend: string }) => {
    if (o.ddpm && o.ddim !== undefined) throw new Error(`eval: --ddpm and --ddim ${o.ddim} ask for two samplers; pass one`);
    await initBackend(o.backend as BackendChoice);
    const bar = evalProgress('eval', o.episodes);
    const { info, modes, outDir } = await evalRun({
      target: path.resolve(o.run),
      episodes: o.episodes,
      seedStart: o.seedStart,
      nEnvs: o.nEnvs,
      ema: o.ema,
      ddimSteps: o.ddpm ? 'ddpm' : (o.ddim ?? 0),
      onEpisode: bar.onEpisode,
      ...(o.videos === false ? {} : { videos: { first: o.videos, failures: o.videoFailures, ...(o.videoSize ? { size: o.videoSize } : {}) } }),
    });
    bar.stop();
    const a = info.aggregated;
    const iv = (x: { value: number; low: number; high: number }) => `${x.value.toFixed(3)} [${x.low.toFixed(2)}, ${x.high.toFixed(2)}]`;
    const lat = a.policy_latency;
    console.log(`mean max score ${iv(a.avg_max_reward)}; success ${iv(a.success_rate)}; final coverage ${iv(a.avg_final_coverage)}; ${a.eval_ep_s.toFixed(1)} s/episode${lat ? `; policy ${lat.ms_per_call_mean.toFixed(1)} ms per action chunk at batch ${lat.mean_batch.toFixed(1)}` : ''}`);
    console.log(`modes ${JSON.stringify(modes.rolloutHistogram)} (none ${modes.neutral.rollout}) vs demos ${JSON.stringify(modes.demoHistogram)}; JS ${Number.isFinite(modes.jsToDemos) ? modes.jsToDemos.toFixed(3) : 'n/a'}`);
    const videoFiles = info.per_episode.flatMap((e) => e.videos ?? []);
    if (videoFiles.length) console.log(`wrote ${videoFiles.length} videos to ${path.join(outDir, 'videos')}`);
    console.log(`wrote ${path.join(outDir, 'eval_info.json')}`);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`dpbench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
