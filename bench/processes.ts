import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** One service of the benchmark, in its own process so its CPU and memory can be read apart from the rest. */
export interface BenchProcess {
  name: string;
  pid: number;
  stop(): Promise<void>;
}

/** Whether a service answers; a URL is ready when a GET on it answers 200. */
export type Readiness = string | (() => Promise<boolean>);

/** Starts `node <script> <args…>` with `env` and waits until it is ready; its output is kept for a failure report. */
export async function startProcess(name: string, script: string, env: Record<string, string>, ready: Readiness, args: string[] = []): Promise<BenchProcess> {
  // BENCH_PROFILE_DIR: every service writes a V8 CPU profile there when it stops (`--cpu-prof`), for flame graphs.
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, script, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
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
