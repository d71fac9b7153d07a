/**
 * The `dpbench` command line. Commands are thin: parse, validate, call src/*.
 *
 *   dpbench envs                      list registered envs
 *   dpbench bench [--episodes 50]     score every available policy row, write results/leaderboard.*
 */
import { Command, InvalidArgumentError } from 'commander';
import path from 'node:path';
import { envIds, envRegistration } from '../../envs/index.ts';
import { runBench } from '../bench/bench.ts';
import { leaderboardMarkdown } from '../report/leaderboard.ts';
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
  .description('run every available policy on the protocol test seeds and write results/leaderboard.{json,md}')
  .option('--episodes <n>', 'test episodes per row', positiveInt('--episodes'), 50)
  .option('--seed-start <n>', 'first test seed', nonNegativeInt('--seed-start'), 100000)
  .option('--n-envs <n>', 'envs stepped in lockstep', positiveInt('--n-envs'), 10)
  .option('--results <dir>', 'results folder', path.join(ROOT, 'results'))
  .option('--no-readme', 'do not rewrite the README leaderboard table')
  .action(async (o: { episodes: number; seedStart: number; nEnvs: number; results: string; readme: boolean }) => {
    const rows = await runBench({ episodes: o.episodes, seedStart: o.seedStart, nEnvs: o.nEnvs, resultsDir: path.resolve(o.results), updateReadme: o.readme });
    console.log(leaderboardMarkdown({ generated: '', protocol: `${rows[0].episodes} test episodes from seed ${o.seedStart}`, rows }));
    console.log(`wrote ${path.join(o.results, 'leaderboard.json')} and leaderboard.md`);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`dpbench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
