import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAgainst } from '../../src/bench/check.ts';
import { wilson, wilsonMean } from '../../src/eval/metrics.ts';
import type { Leaderboard, LeaderboardRow } from '../../src/report/leaderboard.ts';
import { ROOT } from '../../src/util/env-info.ts';

function row(policy: string, scores: number[], successes: number): LeaderboardRow {
  return {
    env: 'PushT-v0',
    policy,
    obs: 'keypoints',
    episodes: scores.length,
    avgMaxReward: wilsonMean(scores),
    successRate: wilson(successes, scores.length),
    avgFinalCoverage: wilsonMean(scores.map((s) => s * 0.9)),
    avgLength: 100,
    evalInfo: `runs/${policy}/eval_info.json`,
  };
}

const lb = (rows: LeaderboardRow[]): Leaderboard => ({ generated: '2026-11-25', protocol: 'test', rows });
const ref = lb([row('expert', [1, 1, 0.9, 1, 1, 0.95, 1, 1, 1, 1], 9), row('diffusion_unet', [0.8, 0.6, 0.7, 0.9, 0.5, 0.8, 0.7, 0.6, 0.9, 0.8], 3)]);

describe('checkAgainst (the bench regression gate)', () => {
  it('passes a run identical to its reference', () => {
    const res = checkAgainst(ref, ref);
    expect(res.ok).toBe(true);
    expect(res.lines).toHaveLength(2 * 3);
    expect(res.report).toMatch(/all 6 checks passed/);
  });

  it('passes a drop that stays inside the reference interval, fails one below it, naming row, metric and values', () => {
    const base = ref.rows[1];
    const inside = { ...base, avgMaxReward: { ...base.avgMaxReward, value: (base.avgMaxReward.value + base.avgMaxReward.low) / 2 } };
    expect(checkAgainst(ref, lb([ref.rows[0], inside])).ok).toBe(true);
    const below = { ...base, avgMaxReward: { ...base.avgMaxReward, value: base.avgMaxReward.low - 0.01 } };
    const res = checkAgainst(ref, lb([ref.rows[0], below]), 'smoke.json');
    expect(res.ok).toBe(false);
    const failed = res.lines.filter((l) => !l.ok);
    expect(failed).toEqual([expect.objectContaining({ row: 'PushT-v0 diffusion_unet (keypoints)', metric: 'avgMaxReward' })]);
    expect(res.report).toMatch(/FAIL\s+PushT-v0 diffusion_unet \(keypoints\)\s+avgMaxReward/);
    expect(res.report).toMatch(/below the interval by 0\.010/);
    expect(res.report).toMatch(/1 of 6 checks failed against smoke\.json/);
  });

  it('an improvement never fails', () => {
    const better = ref.rows.map((r) => ({ ...r, successRate: { ...r.successRate, value: 1 } }));
    expect(checkAgainst(ref, lb(better)).ok).toBe(true);
  });

  it('fails when a reference row is missing, and rejects a file that is not a leaderboard', () => {
    const res = checkAgainst(ref, lb([ref.rows[0]]));
    expect(res.ok).toBe(false);
    expect(res.report).toMatch(/PushT-v0 diffusion_unet \(keypoints\): row missing/);
    expect(() => checkAgainst({ foo: 1 }, ref, 'ref.json')).toThrow(/ref\.json: expected a leaderboard JSON with a "rows" array/);
  });

  it('reports a row the reference lacks as new and passes it (a task added since the reference was written)', () => {
    // The same policy on another observation type is another row: the image DP-C beside the keypoint one.
    const image = { ...row('diffusion_unet', [0.1, 0.05, 0.2, 0.1, 0.1, 0.1, 0.0, 0.1, 0.1, 0.1], 0), obs: 'pixels_agent_pos' };
    const res = checkAgainst(ref, lb([...ref.rows, image]), 'smoke.json');
    expect(res.ok).toBe(true);
    expect(res.lines.filter((l) => l.metric === 'new')).toEqual([{ row: 'PushT-v0 diffusion_unet (pixels_agent_pos)', metric: 'new', reference: null, current: null, ok: true }]);
    expect(res.report).toMatch(/^new\s+PushT-v0 diffusion_unet \(pixels_agent_pos\): not in the reference/m);
    expect(res.report).toMatch(/all 6 checks passed against smoke\.json; 1 new row not in it$/);
    // A new row does not hide a regression elsewhere.
    const below = { ...ref.rows[1], successRate: { ...ref.rows[1].successRate, value: 0 } };
    const bad = checkAgainst(ref, lb([ref.rows[0], below, image]), 'smoke.json');
    expect(bad.ok).toBe(false);
    expect(bad.report).toMatch(/1 of 6 checks failed against smoke\.json; 1 new row not in it$/);
  });

  it("the committed smoke reference passes itself plus a row it has no entry for (CI's gate after a new task)", () => {
    const file = path.join(ROOT, 'results', 'reference', 'smoke.json');
    const reference = JSON.parse(readFileSync(file, 'utf8')) as Leaderboard;
    const isImage = (r: Leaderboard['rows'][number]) => r.env === 'PushT-v0' && r.policy === 'diffusion_unet' && r.obs === 'pixels_agent_pos';
    expect(reference.rows.filter(isImage), 'the reference holds the image DP-C row').toHaveLength(1);
    // The reference as it was before the image task: the current rows must pass it, the image row listed as new.
    const older = { ...reference, rows: reference.rows.filter((r) => !isImage(r)) };
    const res = checkAgainst(older, reference, file);
    expect(res.ok).toBe(true);
    expect(res.lines.filter((l) => !l.ok)).toEqual([]);
    expect(res.lines.filter((l) => l.metric === 'new').map((l) => l.row)).toEqual(['PushT-v0 diffusion_unet (pixels_agent_pos)']);
  });
});
