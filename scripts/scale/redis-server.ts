import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { askRedis, redisAnswers } from '../redis-probe';

/** The redis-server binary: `REDIS_SERVER_BIN`, or Debian's. */
export const redisServerBinary = (): string => process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

/** A Redis of the run's own on a loopback port, keeping nothing on disk, that can be stopped and started again. */
export class RedisServer {
  private child: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(redisServerBinary(), ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    this.child = child;
    process.once('exit', () => child.kill('SIGKILL'));
    const deadline = Date.now() + 10_000;
    while (!(await this.answers())) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} on port ${this.port}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${this.port} within 10 s`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  /** Keys held right now (0 when it does not answer). */
  keys(): Promise<number> {
    return askRedis(this.url, (client) => client.dbsize(), 0);
  }

  private answers(): Promise<boolean> {
    return redisAnswers(this.url);
  }
}
