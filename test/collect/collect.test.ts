import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeEnv } from '../../envs/index.ts';
import { collect, collectConfig } from '../../src/collect/collect.ts';
import { ReplayBuffer } from '../../src/data/replay-buffer.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'dpbench-collect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dpbench collect', () => {
  const config = collectConfig('PushT-v0', 4, 10);

  it('writes expert demonstrations that replay in the env, and reuses an identical dataset', async () => {
    const first = await collect(config, { resultsDir: tmp });
    expect(first.reused).toBe(false);
    expect(first.dir).toBe(path.join(tmp, 'datasets', path.basename(first.dir)));
    const buf = await ReplayBuffer.load(first.store);
    expect(buf.nEpisodes).toBe(4);
    expect(first.stats.demonstrations).toBe(4);
    const seeds = buf.getMeta('seed') as number[];
    expect(seeds.every((s, i) => i === 0 || s > seeds[i - 1])).toBe(true);
    expect(seeds[0]).toBeGreaterThanOrEqual(10);
    // Replaying the recorded actions from the recorded seed reaches success on the last step.
    for (let i = 0; i < buf.nEpisodes; i++) {
      const ep = buf.getEpisode(i);
      const env = makeEnv('PushT-v0');
      const { obs } = env.reset({ seed: seeds[i] });
      expect(Array.from(ep.state.subarray(0, 5))).toEqual(Array.from(obs as Float32Array));
      const T = ep.action.length / 2;
      let last;
      for (let t = 0; t < T; t++) last = env.step(ep.action.subarray(2 * t, 2 * t + 2));
      expect(last!.terminated).toBe(true);
      env.close();
    }
    const again = await collect(config, { resultsDir: tmp });
    expect(again.reused).toBe(true);
    expect(again.stats).toEqual(first.stats);
  });

  it('refuses an existing store with another config, unknown envs and bad counts', async () => {
    const first = await collect(config, { resultsDir: tmp });
    await expect(collect(collectConfig('PushT-v0', 3, 10), { resultsDir: tmp, out: first.dir })).rejects.toThrow(/exists with a different config/);
    expect(() => collectConfig('PushT-v9', 4, 0)).toThrow(/unknown env id "PushT-v9"; registered: .*PushT-v0/);
    expect(() => collectConfig('PushT-v0', 0, 0)).toThrow('episodes must be a positive integer, got 0');
    expect(() => collectConfig('PushT-v0', 2, -1)).toThrow('seed start must be a non-negative integer, got -1');
  });
});
