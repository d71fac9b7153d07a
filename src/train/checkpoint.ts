/**
 * Checkpoints: `checkpoints/<step:06d>/` with `model.safetensors` (weights by name), `ema.safetensors`
 * (the EMA weights used for evaluation), `optimizer.safetensors` (AdamW moments) and `trainer_state.json`
 * (step, optimizer step count, seed, config hash, the policy's JSON); `checkpoints/last` is a symlink to
 * the newest. Each checkpoint folder is written beside its final name and renamed into place, and
 * `last` is replaced by a rename too, so a killed run never leaves a half-written checkpoint behind.
 */
import { existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSafetensors, saveSafetensors, type NamedArrays } from './safetensors.ts';

export interface TrainerState {
  step: number;
  optimizerStep: number;
  seed: number;
  cfgHash: string;
  policy: object;
  /** Mean training loss of the last logging interval (for top-k selection by loss). */
  loss: number | null;
  [extra: string]: unknown;
}

export interface CheckpointContents {
  model: NamedArrays;
  ema: NamedArrays | null;
  optimizer: NamedArrays;
  state: TrainerState;
}

export const stepDir = (step: number) => String(step).padStart(6, '0');

export function saveCheckpoint(runDir: string, c: CheckpointContents): string {
  const root = path.join(runDir, 'checkpoints');
  const name = stepDir(c.state.step);
  const final = path.join(root, name);
  const tmp = `${final}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  saveSafetensors(path.join(tmp, 'model.safetensors'), c.model, { format: 'dpbench', step: String(c.state.step) });
  if (c.ema) saveSafetensors(path.join(tmp, 'ema.safetensors'), c.ema, { format: 'dpbench', step: String(c.state.step) });
  saveSafetensors(path.join(tmp, 'optimizer.safetensors'), c.optimizer);
  writeFileSync(path.join(tmp, 'trainer_state.json'), `${JSON.stringify(c.state, null, 2)}\n`);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  const link = path.join(root, 'last');
  const tmpLink = `${link}.tmp-${process.pid}`;
  rmSync(tmpLink, { force: true });
  symlinkSync(name, tmpLink);
  renameSync(tmpLink, link);
  return final;
}

/** The step of a run's last checkpoint (0 when it has none). */
export function lastCheckpointStep(runDir: string): number {
  const link = path.join(runDir, 'checkpoints', 'last');
  return existsSync(link) ? Number(readlinkSync(link)) : 0;
}

/** Resolves a checkpoint folder: a run folder (its `checkpoints/last`), a checkpoints folder, or a step folder. */
export function resolveCheckpoint(p: string): string {
  const candidates = [path.join(p, 'checkpoints', 'last'), path.join(p, 'last'), p];
  for (const c of candidates) {
    if (existsSync(path.join(c, 'trainer_state.json'))) {
      return existsSync(c) && c.endsWith('last') ? path.join(path.dirname(c), readlinkSync(c)) : c;
    }
  }
  throw new Error(`no checkpoint at ${p} (expected a run folder with checkpoints/last, or a folder with trainer_state.json)`);
}

export function loadCheckpoint(dir: string): CheckpointContents {
  const stateFile = path.join(dir, 'trainer_state.json');
  if (!existsSync(stateFile)) throw new Error(`checkpoint ${dir}: missing trainer_state.json`);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as TrainerState;
  const emaFile = path.join(dir, 'ema.safetensors');
  return {
    model: loadSafetensors(path.join(dir, 'model.safetensors')).tensors,
    ema: existsSync(emaFile) ? loadSafetensors(emaFile).tensors : null,
    optimizer: loadSafetensors(path.join(dir, 'optimizer.safetensors')).tensors,
    state,
  };
}
