/**
 * What the report reads from a leaderboard row's run folder (results/runs/<run>/, DESIGN "Results
 * layout"): which of its files exist to link to, its training log, its evaluation videos. Links are
 * relative to results/, where index.html lives, so the page works opened from disk.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface TrainPoint {
  step: number;
  /** Mean training loss since the previous log line. */
  loss: number;
  /** Validation loss, on the lines where it was computed (src/train/trainer.ts `valEvery`). */
  valLoss?: number;
}

export interface RunFiles {
  /** The run folder's name (`<env>__<policy>__s<seed>__<cfgHash>`). */
  name: string;
  /** The evaluated checkpoint (`eval/<ckpt>/`). */
  checkpoint: string;
  /** Links (relative to results/, URL-encoded); a file that does not exist has none. */
  evalInfo?: string;
  config?: string;
  envInfo?: string;
  episodes?: string;
  trainLog?: string;
  /** The bench's latency and action-diversity probe of the run (`eval/probes-<hash>.json`), newest. */
  probes?: string;
  videos: Array<{ seed: number; href: string }>;
  /** The training log's points (empty without a train_log.jsonl). */
  log: TrainPoint[];
}

/** A results-relative path as a link: posix separators, each segment URL-encoded. */
export const href = (rel: string) => rel.split(/[\\/]/).map(encodeURIComponent).join('/');

/**
 * The run of an `eval_info.json` path (relative to results/): `runs/<run>/eval/<ckpt>/eval_info.json`;
 * a folder that is not inside an `eval/` folder is taken as the run itself.
 */
export function runFiles(resultsDir: string, evalInfoRel: string): RunFiles {
  const evalDir = path.posix.dirname(evalInfoRel.replaceAll('\\', '/'));
  const inEval = path.posix.basename(path.posix.dirname(evalDir)) === 'eval';
  const runDir = inEval ? path.posix.dirname(path.posix.dirname(evalDir)) : evalDir;
  const abs = (rel: string) => path.join(resultsDir, rel);
  const link = (rel: string) => (existsSync(abs(rel)) ? href(rel) : undefined);
  const logRel = path.posix.join(runDir, 'train_log.jsonl');
  return {
    name: path.posix.basename(runDir),
    checkpoint: inEval ? path.posix.basename(evalDir) : '',
    evalInfo: link(evalInfoRel),
    config: link(path.posix.join(runDir, 'config.json')),
    envInfo: link(path.posix.join(runDir, 'env_info.json')),
    episodes: link(path.posix.join(evalDir, 'episodes.jsonl')),
    trainLog: link(logRel),
    probes: newest(resultsDir, path.posix.join(runDir, 'eval'), /^probes-.*\.json$/),
    videos: listVideos(resultsDir, path.posix.join(evalDir, 'videos')),
    log: existsSync(abs(logRel)) ? readTrainLog(abs(logRel)) : [],
  };
}

function newest(resultsDir: string, rel: string, pattern: RegExp): string | undefined {
  const dir = path.join(resultsDir, rel);
  if (!existsSync(dir)) return undefined;
  const found = readdirSync(dir)
    .filter((f) => pattern.test(f))
    .map((f) => ({ f, t: statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t)[0];
  return found && href(path.posix.join(rel, found.f));
}

function listVideos(resultsDir: string, rel: string): RunFiles['videos'] {
  const dir = path.join(resultsDir, rel);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => ({ f, m: /^ep_(\d+)\.(gif|mp4|webm)$/.exec(f) }))
    .filter((x) => x.m !== null)
    .map(({ f, m }) => ({ seed: Number(m![1]), href: href(path.posix.join(rel, f)) }))
    .sort((a, b) => a.seed - b.seed);
}

/**
 * train_log.jsonl (src/train/trainer.ts: one JSON object a line with step, loss, lr, stepsPerSecond,
 * emaDecay, and valLoss on validation steps). A last line cut short by a killed run is skipped; any other
 * malformed line is an error naming the file and line.
 */
export function readTrainLog(file: string): TrainPoint[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: TrainPoint[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let o: { step?: unknown; loss?: unknown; valLoss?: unknown };
    try {
      o = JSON.parse(line) as typeof o;
    } catch (e) {
      if (i === lines.length - 1) return;
      throw new Error(`${file}:${i + 1}: not JSON (${(e as Error).message})`);
    }
    if (typeof o.step !== 'number' || typeof o.loss !== 'number') {
      throw new Error(`${file}:${i + 1}: expected numbers "step" and "loss", got ${line.slice(0, 120)}`);
    }
    out.push({ step: o.step, loss: o.loss, ...(typeof o.valLoss === 'number' ? { valLoss: o.valLoss } : {}) });
  });
  return out;
}
