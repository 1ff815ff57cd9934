import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessStack } from '../process-stack';
import type { RedisServer } from './redis-server';

/** What a hurt event must show, judged on the requests sent while it lasted. */
export type Goal =
  /** Not one request fails. */
  | 'none-fail'
  /** Only requests in flight on the killed process when it died may fail; none sent after the balancer noticed. */
  | 'in-flight-only'
  /** A baseline or the run-up to another event: reported, not judged. */
  | 'reported';

/** One thing done to the stack while the load ran. */
export interface HurtEvent {
  name: string;
  goal: Goal;
  startedAt: number;
  endedAt: number;
  /** SIGKILL: when the process died and when HAProxy took it out. */
  killedAt?: number;
  detectedAt?: number;
  note?: string;
}

const POLL_MS = 25;

/** The HAProxy rows of a replica (its fail-open twin aside). */
async function statesOf(stack: ProcessStack, replica: string): Promise<string[]> {
  const servers = (await stack.loadBalancer?.servers()) ?? [];
  return servers.filter((server) => server.server === replica && !server.backend.endsWith('-live')).map((server) => server.status);
}

/** Resolves once HAProxy has `replica` UP again (at once for a service it does not balance). */
export async function balancedAgain(stack: ProcessStack, replica: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await statesOf(stack, replica);
    if (states.every((state) => state === 'UP')) return;
    if (Date.now() > deadline) throw new Error(`HAProxy did not put ${replica} back within ${timeoutMs / 1000} s: ${states.join(', ')}`);
    await sleep(POLL_MS);
  }
}

async function takenOut(stack: ProcessStack, replica: string): Promise<number> {
  for (;;) {
    const states = await statesOf(stack, replica);
    if (states.length === 0 || states.every((state) => state.startsWith('DOWN'))) return performance.now();
    await sleep(POLL_MS);
  }
}

const service = (stack: ProcessStack, name: string) => {
  const found = stack.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};

/** Runs `body` as a named event with its start and end times. */
async function timed(name: string, goal: Goal, body: (event: HurtEvent) => Promise<void>): Promise<HurtEvent> {
  const event: HurtEvent = { name, goal, startedAt: performance.now(), endedAt: 0 };
  await body(event);
  event.endedAt = performance.now();
  return event;
}

export const steady = (ms: number, name = `steady load, ${ms / 1000} s`) => timed(name, 'reported', () => sleep(ms));

/** SIGKILL to one replica; a while later it is started again and HAProxy puts it back. */
export const killReplica = (stack: ProcessStack, replica: string, downMs: number) =>
  timed(`SIGKILL ${replica}`, 'in-flight-only', async (event) => {
    const target = service(stack, replica);
    const watching = takenOut(stack, replica);
    event.killedAt = performance.now();
    target.signal('SIGKILL');
    await target.exited();
    event.detectedAt = await watching;
    await sleep(downMs);
    await target.restart();
    await balancedAgain(stack, replica);
  });

/** SIGTERM to each replica in turn, each started again and back in the balancer before the next. */
export const rollingRestart = (stack: ProcessStack, replicas: string[]) =>
  timed(`rolling restart of ${replicas.length} replicas`, 'none-fail', async (event) => {
    for (const replica of replicas) {
      const target = service(stack, replica);
      target.signal('SIGTERM');
      const { code } = await target.exited();
      if (code !== 0) event.note = `${event.note ?? ''}${replica} exited ${code}; `;
      await target.restart();
      await balancedAgain(stack, replica);
    }
  });

/** Redis stopped for `downMs`, then started again empty (it keeps nothing on disk); the services reconnect on their own. */
export const redisOutage = (redis: RedisServer, downMs: number) =>
  timed(`Redis stopped for ${downMs / 1000} s`, 'none-fail', async () => {
    await redis.stop();
    await sleep(downMs);
    await redis.start();
  });
