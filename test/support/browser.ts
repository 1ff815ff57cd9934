import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { repoRoot } from '../../platform/paths';
import { describeWhen } from './describe-when';

/** Debian's Chromium (`apt-get install chromium`), or another Chromium named by `CHROMIUM_PATH`. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where browser tests leave screenshots for people (and CI) to look at. */
export const artifactsDir = join(repoRoot, 'test-artifacts');

/** `describe` when Chromium is installed; skipped with the reason printed otherwise, and a failure under `CI=true`. */
export function describeWithBrowser(name: string, body: () => void): void {
  describeWhen(name, existsSync(chromiumPath) ? undefined : `no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`, body);
}

/** Headless Chromium as CI runs it: no sandbox (containers run as root), no GPU, no background traffic. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** A path for an artefact, its folder made. */
export function artifactPath(name: string): string {
  mkdirSync(artifactsDir, { recursive: true });
  return join(artifactsDir, name);
}
