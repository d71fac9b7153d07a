/** What a result was produced with (env_info.json): versions, git commit, machine. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { RAPIER_BUILD } from '../../envs/core/physics.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface EnvInfo {
  dpbench: string;
  node: string;
  packages: Record<string, string>;
  rapier: string;
  git: { commit: string | null; dirty: boolean | null };
  machine: { platform: string; arch: string; cpu: string; cores: number; memGiB: number; hostname: string };
  [extra: string]: unknown;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function envInfo(extra: Record<string, unknown> = {}): EnvInfo {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies?: Record<string, string> };
  const packages = Object.fromEntries(Object.keys(pkg.dependencies ?? {}).sort().map((n) => [n, packageVersion(n)]));
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  const cpus = os.cpus();
  return {
    dpbench: pkg.version,
    node: process.version,
    packages,
    rapier: RAPIER_BUILD,
    git: { commit: git(['rev-parse', 'HEAD']), dirty: status === null ? null : status.length > 0 },
    machine: {
      platform: `${os.platform()} ${os.release()}`,
      arch: os.arch(),
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      hostname: os.hostname(),
    },
    ...extra,
  };
}
