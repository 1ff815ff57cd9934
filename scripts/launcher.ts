import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch } from 'undici';

/** One process the launcher runs and watches. */
export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Answers 200 once the service can take traffic. */
  readyUrl: string;
  /** For an https `readyUrl` behind mutual TLS: the CA to trust and the client certificate to present. */
  readyTls?: { ca: Buffer; cert: Buffer; key: Buffer };
}

export interface LaunchOptions {
  /** Where prefixed service output and launcher messages go. */
  write(line: string): void;
  readyTimeoutMs: number;
  color: boolean;
  /** Turns a service's output line into what a human reads (JSON logs pretty-printed in a terminal); as is when unset. */
  format?(line: string): string;
  /** How long a stopping group may take before its processes are killed: longer than their own `SHUTDOWN_GRACE_MS`. */
  stopGraceMs: number;
}

/** A running stack: resolves `exited` with the launcher's exit code once every process is gone. */
export interface Launched {
  /** Resolves once every service is ready (never, if one fails first). */
  ready: Promise<void>;
  exited: Promise<number>;
  /**
   * Stops the groups in reverse start order (the gateway before the subgraphs it calls, those before their backends),
   * each with one SIGTERM and waiting until it exited (SIGKILL past `stopGraceMs`); `exited` is then 0 if every process
   * exited 0.
   */
  stop(): Promise<void>;
  /** SIGKILL to every process still running, for who will not wait for the drain. */
  kill(): void;
}
const READY_POLL_MS = 25;
const COLORS = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92];

class LaunchError extends Error {}

/**
 * Starts every service at once, with every output line prefixed by its service's name, and is ready once each answers
 * on its ready URL: no service needs another to start (each connects to the others on first use), so waiting group by
 * group would only add up their start-up times. Groups matter for stopping: the last group stops first. If any process
 * exits on its own, the launcher says which, stops the others and exits 1.
 */
export function launch(groups: ServiceSpec[][], options: LaunchOptions): Launched {
  const width = Math.max(...groups.flat().map((s) => s.name.length));
  const children = new Map<string, ChildProcess>();
  const living = (names: string[]) =>
    names.map((name) => children.get(name)).filter((c): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null);
  const kill = () => living([...children.keys()]).forEach((child) => child.kill('SIGKILL'));
  // Children have process groups of their own (see `start`): none may outlive the launcher, however it ends.
  process.once('exit', kill);
  let stopping = false;
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  let failure: string | undefined;

  const label = (name: string, index: number) => {
    const text = name.padEnd(width);
    return options.color ? `\x1b[${COLORS[index % COLORS.length]}m${text}\x1b[0m │ ` : `${text} │ `;
  };

  /** Whether every process stopped exited 0. */
  const stop = async (): Promise<boolean> => {
    stopping = true;
    let clean = true;
    for (const group of [...groups].reverse()) {
      const stopped = living(group.map((spec) => spec.name));
      const exits = stopped.map((child) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))));
      for (const child of stopped) child.kill('SIGTERM');
      const timer = setTimeout(() => stopped.forEach((child) => child.kill('SIGKILL')), options.stopGraceMs);
      const codes = await Promise.all(exits);
      clearTimeout(timer);
      clean &&= codes.every((code) => code === 0);
    }
    return clean;
  };

  const fail = (message: string) => {
    if (stopping) return;
    failure = message;
    options.write(`✖ ${message}; stopping the other services`);
    void stop().then(() => resolveExit(1));
  };

  const start = (spec: ServiceSpec, index: number) => {
    // A process group of its own: a terminal's Ctrl-C reaches the launcher alone, which stops the services in order.
    const child = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.set(spec.name, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => options.write(label(spec.name, index) + (options.format ? options.format(line) : line)));
    }
    child.once('error', (error) => fail(`${spec.name} could not be started: ${error.message}`));
    child.once('exit', (code, signal) => {
      if (!stopping) fail(`${spec.name} exited ${signal ? `on ${signal}` : `with code ${code}`}`);
    });
  };

  const waitReady = async (spec: ServiceSpec) => {
    const deadline = Date.now() + options.readyTimeoutMs;
    const dispatcher = new Agent({ connect: spec.readyTls });
    try {
      while (!stopping) {
        try {
          if ((await fetch(spec.readyUrl, { signal: AbortSignal.timeout(1_000), dispatcher })).ok) return;
        } catch {
          // Not listening yet.
        }
        if (Date.now() > deadline) throw new LaunchError(`${spec.name} was not ready at ${spec.readyUrl} within ${options.readyTimeoutMs / 1000} s`);
        // A refused connection costs microseconds: asking often lets `npm start` report ready as soon as it is.
        await sleep(READY_POLL_MS);
      }
    } finally {
      await dispatcher.close();
    }
  };

  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  void (async () => {
    groups.flat().forEach(start);
    await Promise.all(groups.flat().map(waitReady));
    if (!stopping) resolveReady();
  })().catch((error: unknown) => fail(error instanceof LaunchError ? error.message : String(error)));

  return {
    ready,
    exited,
    stop: async () => {
      const clean = await stop();
      if (failure === undefined) resolveExit(clean ? 0 : 1);
    },
    kill,
  };
}
