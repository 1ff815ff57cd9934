import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** One service of the benchmark, in its own process so its CPU and memory can be read apart from the rest. */
export interface BenchProcess {
  name: string;
  pid: number;
  stop(): Promise<void>;
}

/** Whether a service answers; a URL is ready when a GET on it answers 200. */
export type Readiness = string | (() => Promise<boolean>);

const PROFILER_PRELOAD = join(__dirname, 'profiler-preload.js');

/** Starts `node <script> <args…>` with `env` and waits until it is ready; its output is kept for a failure report. */
export async function startProcess(name: string, script: string, env: Record<string, string>, ready: Readiness, args: string[] = []): Promise<BenchProcess> {
  // BENCH_PROFILE_DIR: every service can be profiled over a measured window (see `profileWindow`).
  const profile = process.env.BENCH_PROFILE_DIR ? ['--require', PROFILER_PRELOAD] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, script, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', BENCH_PROFILE_NAME: name, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    const ok = await (typeof ready === 'string' ? fetch(ready).then((response) => response.ok) : ready()).catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${name} was not ready within 60 s:\n${output}`);
    await sleep(100);
  }
  return {
    name,
    pid: child.pid as number,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

/** Where a service's profiler preload writes: `<BENCH_PROFILE_DIR>/<name>.cpuprofile`. */
const profileFile = (dir: string, service: BenchProcess) => join(dir, `${service.name}.cpuprofile`);

/**
 * With `BENCH_PROFILE_DIR` set, CPU-profiles `services` from now until `stop()`, which leaves each profile in
 * `<BENCH_PROFILE_DIR>/<window>/<service>.cpuprofile`; without it, does nothing.
 */
export function profileWindow(services: BenchProcess[], window: string): { stop(): Promise<void> } {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return { stop: async () => undefined };
  for (const service of services) rmSync(profileFile(dir, service), { force: true });
  // The preload toggles its profiler on each SIGUSR2.
  const toggle = () => services.forEach((service) => process.kill(service.pid, 'SIGUSR2'));
  toggle();
  return {
    async stop() {
      toggle();
      const folder = join(dir, window.replace(/[^\w.-]+/g, '-'));
      mkdirSync(folder, { recursive: true });
      const deadline = Date.now() + 30_000;
      for (const service of services) {
        while (!existsSync(profileFile(dir, service))) {
          if (Date.now() > deadline) throw new Error(`${service.name} wrote no CPU profile within 30 s`);
          await sleep(50);
        }
        renameSync(profileFile(dir, service), join(folder, `${service.name}.cpuprofile`));
      }
    },
  };
}
