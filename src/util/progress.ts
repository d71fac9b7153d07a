/**
 * Progress for long loops: a redrawn bar with ETA on a terminal (cli-progress), one plain line every
 * `intervalS` seconds otherwise (CI logs stay short, like diffusion_policy's tqdm_interval_sec).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * `from`: where the loop starts (a resumed run's step), so the rate and the ETA count only the work done
 * here — a run resumed at step 1,500 of 6,000 is not 25% done in its first seconds.
 */
export function progress(label: string, total: number, opts: { intervalS?: number; stream?: NodeJS.WriteStream; from?: number } = {}): Progress {
  const from = opts.from ?? 0;
  const stream = opts.stream ?? process.stderr;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} {status} | {duration_formatted} elapsed, ETA {eta_formatted}`, stream, hideCursor: true, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, from, { status: '' });
    return {
      update: (done, fields) => bar.update(done, { status: formatFields(fields) }),
      stop: () => bar.stop(),
    };
  }
  const start = Date.now();
  let last = 0;
  const intervalMs = (opts.intervalS ?? 10) * 1000;
  return {
    update(done, fields) {
      const now = Date.now();
      if (now - last < intervalMs && done !== total) return;
      last = now;
      const el = (now - start) / 1000;
      const eta = done > from ? `${((el / (done - from)) * (total - done)).toFixed(0)}s` : '?';
      const f = formatFields(fields);
      stream.write(`${label} ${done}/${total}${f ? ` ${f}` : ''} | ${el.toFixed(0)}s elapsed, ETA ${eta}\n`);
    },
    stop() {},
  };
}

function formatFields(fields?: Record<string, string | number>): string {
  if (!fields) return '';
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(3)) : v}`)
    .join(', ');
}

/** Progress of an evaluation: episodes done, running mean max score and successes. */
export function evalProgress(label: string, total: number): { onEpisode: (ep: { success: boolean; maxReward: number }, done: number) => void; stop: () => void } {
  const bar = progress(label, total);
  let successes = 0;
  let scoreSum = 0;
  return {
    onEpisode: (ep, done) => {
      successes += ep.success ? 1 : 0;
      scoreSum += ep.maxReward;
      bar.update(done, { 'mean max score': scoreSum / done, success: `${successes}/${done}` });
    },
    stop: () => bar.stop(),
  };
}
