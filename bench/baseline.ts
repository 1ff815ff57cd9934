import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../platform/paths';
import { parseBaselineOutput } from './baseline-output';
import type { Row } from './measure';
import { BenchUsageError } from './options';

interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command`, keeping its output; with `echo`, its stderr lines are passed on to ours behind that prefix as they come. */
function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; echo?: string }): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.echo) process.stderr.write(chunk.toString().replace(/^(?=.)/gm, options.echo));
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `command` and fails, with the end of its output, unless it exits 0. */
async function mustRun(what: string, command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, { cwd });
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${(result.stdout + result.stderr).slice(-4000)}`);
  return result.stdout.trim();
}

/** What the baseline is measured with: the same as this tree's targets. */
export interface BaselineRun {
  workloads: string[];
  latencies: number[];
  seconds: number;
  warmup: number;
  smoke: boolean;
}

/** An earlier revision, built in a temporary folder, that runs its own bench as an extra target. */
export interface Baseline {
  /** `baseline <short-rev>`: the target name its rows carry. */
  name: string;
  /** Runs the revision's own bench for its `atrium` target (its whole stack, started and stopped by it) and reads its rows. */
  measure(options: BaselineRun): Promise<Row[]>;
  /** Deletes the temporary folder. */
  remove(): void;
}

/**
 * Extracts `revision` into a temporary folder (`git archive`, so this repository's worktrees stay as they are),
 * installs its dependencies — a copy of this tree's `node_modules` when its package-lock.json is byte-identical, else
 * `npm ci` — and builds it with its own build script.
 */
export async function buildBaseline(revision: string): Promise<Baseline> {
  const commit = await run('git', ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`], { cwd: repoRoot });
  if (commit.code !== 0) throw new BenchUsageError(`--baseline ${revision}: not a commit of this repository`);
  const short = await mustRun('git rev-parse --short', 'git', ['rev-parse', '--short', commit.stdout.trim()], repoRoot);
  const name = `baseline ${short}`;
  const dir = mkdtempSync(join(tmpdir(), `atrium-baseline-${short}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  // Interrupted while building or measuring: leave no copy behind (the child processes get the same signal).
  const onInterrupt = () => {
    remove();
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  const cleanUp = () => {
    process.off('SIGINT', onInterrupt);
    remove();
  };
  try {
    const step = (what: string) => process.stderr.write(`${name}: ${what}\n`);
    step(`extracting into ${dir}`);
    await mustRun('git archive', 'sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', repoRoot, commit.stdout.trim(), dir], repoRoot);
    const lockfile = (root: string) => readFileSync(join(root, 'package-lock.json'));
    if (lockfile(dir).equals(lockfile(repoRoot))) {
      step('same package-lock.json: copying node_modules');
      await mustRun('copying node_modules', 'cp', ['-a', join(repoRoot, 'node_modules'), dir], dir);
    } else {
      step('npm ci');
      await mustRun('npm ci', 'npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);
    }
    step('npm run build');
    await mustRun('npm run build', 'npm', ['run', 'build'], dir);
  } catch (error) {
    cleanUp();
    throw error;
  }
  return {
    name,
    async measure(options) {
      const args = options.smoke
        ? ['--smoke']
        : [
            `--workloads=${options.workloads.join(',')}`,
            `--latencies=${options.latencies.join(',')}`,
            `--seconds=${options.seconds}`,
            `--warmup=${options.warmup}`,
            '--uncached-only',
          ];
      // Its profiles would be of its whole life (older revisions use --cpu-prof) and overwrite this run's.
      const { BENCH_PROFILE_DIR: _profiles, ...env } = process.env;
      const result = await run(process.execPath, ['dist/bench/run.js', '--targets=atrium', ...args], { cwd: dir, env, echo: `[${name}] ` });
      // Exit 1 means Atrium had errors: still a measurement, its errors column says so.
      if (result.code !== 0 && result.code !== 1) throw new Error(`${name}'s bench failed (exit ${result.code}):\n${result.stderr.slice(-4000)}`);
      return parseBaselineOutput(result.stdout, result.stderr, { target: name, backends: backendsOf(dir) });
    },
    remove: cleanUp,
  };
}

/** The stand-in backends' names in a revision's `schema/subgraphs.json`: the services its bench reports apart from Atrium's. */
function backendsOf(dir: string): Set<string> {
  const file = join(dir, 'schema', 'subgraphs.json');
  const registry = JSON.parse(readFileSync(file, 'utf8')) as { subgraphs?: Array<{ backend?: { name?: unknown } }> };
  const names = (registry.subgraphs ?? []).map((entry) => entry.backend?.name);
  if (names.length === 0 || !names.every((name) => typeof name === 'string')) throw new Error(`${file}: no backend name for every subgraph`);
  return new Set(names as string[]);
}
