/**
 * Reference numbers computed outside the project (../shared/fixtures beside the checkout; see its README).
 * `DPBENCH_FIXTURES` overrides the folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const FIXTURES_DIR = process.env.DPBENCH_FIXTURES ?? fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

export function readFixture<T>(name: string): T {
  const file = path.join(FIXTURES_DIR, name);
  if (!existsSync(file)) throw new Error(`fixture ${name} not found at ${file} (set DPBENCH_FIXTURES to the shared/fixtures folder)`);
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export interface PushTResetCase {
  seed: number;
  sampled: [number, number, number, number, number];
  obs: [number, number, number, number, number];
  overlap_at_reset: boolean;
}

export interface PushTCoverageCase {
  block: [number, number, number];
  coverage: number;
  reward: number;
  success: boolean;
}
