import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describeWhen } from './describe-when';

/** The NATS the tests use: `NATS_URL`, or the one a developer machine usually runs (with JetStream). */
export const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** A stream name no other test uses, so tests sharing one NATS never see each other's events. */
export const uniqueStream = (): string => `TEST_${randomBytes(5).toString('hex').toUpperCase()}`;

/** Whether a NATS server with JetStream answers at `natsUrl`: its greeting (INFO) says so. */
function natsAnswers(): boolean {
  const probe = `
    const url = new URL(process.argv[1]);
    const socket = require('node:net').connect(Number(url.port || 4222), url.hostname);
    socket.setTimeout(1000, () => process.exit(1));
    socket.on('error', () => process.exit(1));
    let text = '';
    socket.on('data', (data) => {
      text += data;
      if (!text.includes('\\r\\n')) return;
      const info = text.startsWith('INFO ') ? JSON.parse(text.slice(5, text.indexOf('\\r\\n'))) : {};
      process.exit(info.jetstream ? 0 : 1);
    });`;
  return spawnSync(process.execPath, ['-e', probe, natsUrl], { timeout: 3000 }).status === 0;
}

/** `describe` when NATS with JetStream answers; skipped with the reason printed otherwise, and a failure under `CI=true`. */
export function describeWithNats(name: string, body: () => void): void {
  describeWhen(name, natsAnswers() ? undefined : `NATS with JetStream does not answer at ${natsUrl} (set NATS_URL)`, body);
}

/** The nats-server binary: `NATS_SERVER_BIN`, Debian's package's, or one on PATH. */
const natsServerBin = (): string | undefined =>
  [process.env.NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server'].find((path) => path && existsSync(path)) ??
  (spawnSync('nats-server', ['--version']).status === 0 ? 'nats-server' : undefined);

/** `describe` when a nats-server binary can be run, for tests that stop and restart their own NATS. */
export function describeWithNatsServer(name: string, body: () => void): void {
  describeWhen(name, natsServerBin() ? undefined : 'no nats-server binary (install Debian nats-server or set NATS_SERVER_BIN)', body);
}

/** A NATS server of a test's own, with JetStream on disk, that the test may stop and start again on the same port. */
export interface OwnNatsServer {
  url: string;
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  remove(): Promise<void>;
}

/** Starts a nats-server on a port it picks itself, data in a temporary folder. */
export async function startOwnNatsServer(): Promise<OwnNatsServer> {
  const bin = natsServerBin();
  if (!bin) throw new Error('no nats-server binary');
  const dir = mkdtempSync(join(tmpdir(), 'atrium-nats-'));
  let port = -1;
  let child: ChildProcess | undefined;
  const launch = () =>
    new Promise<number>((resolve, reject) => {
      const next = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = next;
      let log = '';
      next.stderr?.on('data', (data: Buffer) => {
        log += data.toString();
        const ready = /Listening for client connections on [^:\s]+:(\d+)/.exec(log);
        if (ready && log.includes('Server is ready')) resolve(Number(ready[1]));
      });
      next.on('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${log}`)));
    });
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.on('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  port = await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    stop,
    start: async () => {
      await launch();
    },
    remove: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
