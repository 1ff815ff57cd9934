import { spawnSync } from 'node:child_process';
import { describeWhen } from './describe-when';

/** The Redis the tests use: `REDIS_URL`, or the one a developer machine usually runs. */
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether something answers PING at `redisUrl`, checked synchronously so suites can choose describe or describe.skip. */
function redisAnswers(): boolean {
  const probe = `
    const url = new URL(process.argv[1]);
    const socket = require('node:net').connect(Number(url.port || 6379), url.hostname);
    socket.setTimeout(1000, () => process.exit(1));
    socket.on('error', () => process.exit(1));
    socket.on('connect', () => socket.write('PING\\r\\n'));
    socket.on('data', (data) => process.exit(String(data).startsWith('+PONG') || String(data).startsWith('-NOAUTH') ? 0 : 1));`;
  return spawnSync(process.execPath, ['-e', probe, redisUrl], { timeout: 3000 }).status === 0;
}

/** `describe` when Redis answers; skipped with the reason printed otherwise, and a failure under `CI=true`. */
export function describeWithRedis(name: string, body: () => void): void {
  describeWhen(name, redisAnswers() ? undefined : `Redis does not answer at ${redisUrl} (set REDIS_URL)`, body);
}
