import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rowLabels } from '../../src/report/html.ts';
import type { LeaderboardRow } from '../../src/report/leaderboard.ts';
import { readTrainLog, runFiles } from '../../src/report/run-files.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'dpbench-runfiles-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('readTrainLog', () => {
  it('reads step, loss and the sparse val loss; skips a last line cut short by a killed run', () => {
    const f = path.join(tmp, 'cut.jsonl');
    writeFileSync(f, '{"step":50,"loss":0.5,"lr":0.0001}\n{"step":100,"loss":0.25,"valLoss":0.3}\n{"step":150,"lo');
    expect(readTrainLog(f)).toEqual([{ step: 50, loss: 0.5 }, { step: 100, loss: 0.25, valLoss: 0.3 }]);
  });

  it('names the file and line of a malformed line elsewhere', () => {
    const f = path.join(tmp, 'bad.jsonl');
    writeFileSync(f, '{"step":50,"loss":0.5}\nnot json\n{"step":100,"loss":0.25}\n');
    expect(() => readTrainLog(f)).toThrow(`${f}:2: not JSON`);
    writeFileSync(f, '{"step":50,"loss":"high"}\n');
    expect(() => readTrainLog(f)).toThrow(`${f}:1: expected numbers "step" and "loss"`);
  });
});

describe('runFiles', () => {
  it('finds the run folder of an eval_info.json and links only the files that exist, URL-encoded', () => {
    const run = path.join(tmp, 'runs', 'E__p q__s0__h');
    mkdirSync(path.join(run, 'eval', 'last', 'videos'), { recursive: true });
    writeFileSync(path.join(run, 'config.json'), '{}');
    writeFileSync(path.join(run, 'eval', 'last', 'eval_info.json'), '{}');
    writeFileSync(path.join(run, 'eval', 'last', 'videos', 'ep_100010.gif'), '');
    writeFileSync(path.join(run, 'eval', 'last', 'videos', 'ep_100002.gif'), '');
    writeFileSync(path.join(run, 'eval', 'last', 'videos', 'notes.txt'), '');
    const f = runFiles(tmp, 'runs/E__p q__s0__h/eval/last/eval_info.json');
    expect(f.name).toBe('E__p q__s0__h');
    expect(f.checkpoint).toBe('last');
    expect(f.evalInfo).toBe('runs/E__p%20q__s0__h/eval/last/eval_info.json');
    expect(f.config).toBe('runs/E__p%20q__s0__h/config.json');
    expect([f.envInfo, f.trainLog, f.episodes, f.probes]).toEqual([undefined, undefined, undefined, undefined]);
    expect(f.videos.map((v) => v.seed)).toEqual([100002, 100010]);
    expect(f.log).toEqual([]);
    expect(runFiles(tmp, 'runs/E__p q__s0__h/eval/other/eval_info.json').evalInfo).toBeUndefined();
  });
});

describe('rowLabels', () => {
  it('is the policy, made unique within an env by the observation type, then the checkpoint', () => {
    const row = (env: string, policy: string, obs: string, ckpt = 'final') => ({ env, policy, obs, evalInfo: `runs/x/eval/${ckpt}/eval_info.json` }) as LeaderboardRow;
    expect(rowLabels([row('A', 'dp', 'state'), row('A', 'dp', 'keypoints'), row('B', 'dp', 'state'), row('A', 'mlp', 'state', '1'), row('A', 'mlp', 'state', '2')])).toEqual([
      'dp · state',
      'dp · keypoints',
      'dp',
      'mlp · state · 1',
      'mlp · state · 2',
    ]);
  });
});
