/**
 * The plain-line progress (CI logs, `nohup` runs): its rate and ETA count only the work done since the loop
 * started here. Clock: vitest's fake system time, so the figures are exact.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { progress } from '../../src/util/progress.ts';

function lines(): { stream: NodeJS.WriteStream; out: string[] } {
  const out: string[] = [];
  const stream = { isTTY: false, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream;
  return { stream, out };
}

describe('progress (non-TTY lines)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => vi.useRealTimers());

  it('a fresh loop: 100 of 1,000 steps in 50 s leaves 900 steps at 2 steps/s = 450 s', () => {
    const { stream, out } = lines();
    const bar = progress('train', 1000, { stream, intervalS: 0 });
    vi.setSystemTime(50_000);
    bar.update(100, { loss: 0.5 });
    expect(out.at(-1)).toBe('train 100/1000 loss 0.500 | 50s elapsed, ETA 450s\n');
  });

  it('a loop resumed at step 1,500 of 6,000: 100 steps in 50 s leave 4,400 steps ≈ 2,200 s, not 1,500 steps\' worth of credit', () => {
    const { stream, out } = lines();
    const bar = progress('train', 6000, { stream, intervalS: 0, from: 1500 });
    vi.setSystemTime(50_000);
    bar.update(1600);
    expect(out.at(-1)).toBe('train 1600/6000 | 50s elapsed, ETA 2200s\n');
  });

  it('no ETA before the first step past the start', () => {
    const { stream, out } = lines();
    const bar = progress('train', 10, { stream, intervalS: 0, from: 4 });
    vi.setSystemTime(1_000);
    bar.update(4);
    expect(out.at(-1)).toBe('train 4/10 | 1s elapsed, ETA ?\n');
  });
});
