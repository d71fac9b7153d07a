/**
 * Headless Chromium for the harness (the renderer and the report check): Debian's `chromium` driven by
 * puppeteer-core, WebGL on ANGLE/SwiftShader so it works on machines without a GPU. The browser is
 * installed by `npm run setup` (src/setup/system-deps.ts); this module only finds and launches it.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium binary: $DPBENCH_CHROMIUM, else the first of the usual Debian paths that exists. */
export function chromiumPath(): string {
  const fromEnv = process.env.DPBENCH_CHROMIUM;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`DPBENCH_CHROMIUM=${fromEnv}: no such file (expected the path of a Chromium binary)`);
    return fromEnv;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error(`Chromium not found (looked for ${CANDIDATES.join(', ')}); install it with \`npm run setup\` (apt-get install chromium) or set DPBENCH_CHROMIUM`);
  return found;
}

/** Flags: no sandbox (CI runs as root), software WebGL through SwiftShader, no GPU process surprises. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-dev-shm-usage', '--mute-audio', '--no-first-run'];

export async function launchChromium(opts: { timeoutMs?: number } = {}): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: opts.timeoutMs ?? 60_000,
    protocolTimeout: opts.timeoutMs ?? 60_000,
  });
}
