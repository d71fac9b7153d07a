/**
 * Installs the Debian packages the project needs, when they are missing, so that `npm test` and
 * `npm run bench` work on a fresh machine (Debian, root, Node 20): run by the `pretest`/`prebench`
 * npm hooks and by CI: zarr-python 2.x (`python3-zarr`), which the dataset tests use to check that our
 * Zarr stores are readable by the original's tooling, and vice versa; Chromium (three.js rendering,
 * the HTML report's check) with DejaVu fonts for plot text.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

interface Dep {
  /** Debian package(s). */
  packages: string[];
  /** Exit status 0 when present. */
  check: () => boolean;
  why: string;
}

const ok = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

const DEPS: Dep[] = [
  {
    packages: ['python3-zarr', 'python3-numcodecs'],
    check: () => ok('/usr/bin/python3', ['-c', 'import zarr, numcodecs']),
    why: 'zarr-python 2.x reads and writes the reference Zarr stores in the dataset tests',
  },
  {
    packages: ['chromium', 'fonts-dejavu-core'],
    check: () => (process.env.DPBENCH_CHROMIUM ? existsSync(process.env.DPBENCH_CHROMIUM) : existsSync('/usr/bin/chromium')) && existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'),
    why: 'headless Chromium renders the scenes (three.js) and checks the HTML report',
  },
];

const missing = DEPS.filter((d) => !d.check());
if (missing.length > 0) {
  const pkgs = missing.flatMap((d) => d.packages);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`dpbench setup: missing Debian packages ${pkgs.join(' ')} (${missing.map((d) => d.why).join('; ')}).\nInstall them with: sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}`);
    process.exit(1);
  }
  console.error(`dpbench setup: installing ${pkgs.join(' ')} (${missing.map((d) => d.why).join('; ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
  const still = missing.filter((d) => !d.check());
  if (still.length > 0) {
    console.error(`dpbench setup: ${still.flatMap((d) => d.packages).join(' ')} still not usable after apt-get install`);
    process.exit(1);
  }
}
