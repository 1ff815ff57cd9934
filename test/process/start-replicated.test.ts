import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestDevelopmentToken } from '../../platform/development-token';
import { freePort } from '../../platform/http';
import { repoRoot } from '../../platform/paths';
import { readSubgraphList, standInsOf, standInVariables, variablesOf } from '../../schema/registry';
import { PROFILE_QUERY } from '../../scripts/chaos/clients';
import { throwawayDatabase, type ThrowawayDatabase } from '../../scripts/throwaway-database';
import { describeWithHaproxy } from '../support/haproxy';
import { redisUrl } from '../support/redis';

jest.setTimeout(180_000);

const START_REPLICATED = join(repoRoot, 'dist', 'scripts', 'start-replicated.js');
const READ_SCOPES = 'customers:read pii:read orders:read preferences:read tickets:read';

describe('npm run start:replicated, given a bad count', () => {
  it.each([
    ['--gateways', '0'],
    ['--replicas', 'two'],
    ['--replicas', '9'],
  ])('%s %s: exit 2 and a message naming the option', (option, value) => {
    const result = spawnSync(process.execPath, [START_REPLICATED, option, value], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`start:replicated: ${option} must be a whole number from 1 to 8, not "${value}"`);
  });
});

describeWithHaproxy('npm run start:replicated, in real processes', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'atrium-replicated-'));
  let database: ThrowawayDatabase;
  let launcher: ChildProcess;
  let output = '';
  const env: Record<string, string> = {};
  let replicaBase: number;
  beforeAll(async () => {
    database = await throwawayDatabase();
  });
  afterAll(async () => {
    if (launcher?.exitCode === null) launcher.kill('SIGKILL');
    await database?.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('serves through HAProxy, keeps answering while a gateway replica drains on SIGTERM, and stops everything on SIGINT', async () => {
    const registry = readSubgraphList();
    for (const variable of [
      'GATEWAY_PORT',
      'IDP_PORT',
      'HAPROXY_STATS_PORT',
      ...registry.map((e) => variablesOf(e).port),
      ...registry.flatMap(standInsOf).map((s) => standInVariables(s).port),
    ]) {
      env[variable] = String(await freePort());
    }
    // Replicas take consecutive ports from here: gateways first (its first two), then each subgraph's.
    // Below where freePort looks (20000–32000), so the two never collide.
    replicaBase = 10_000 + Math.floor(Math.random() * 9_000);
    launcher = spawn(process.execPath, [START_REPLICATED, '--gateways', '2', '--replicas', '2'], {
      env: {
        PATH: process.env.PATH,
        ATRIUM_DATA_DIR: scratch,
        REDIS_URL: redisUrl,
        DATABASE_URL: database.url,
        REPLICA_PORTS_FROM: String(replicaBase),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));
    for (let waited = 0; !output.includes('Atrium is ready'); waited += 100) {
      if (waited > 120_000 || launcher.exitCode !== null) throw new Error(`the replicated stack did not start:\n${output.slice(-3_000)}`);
      await sleep(100);
    }
    const gatewayUrl = `http://127.0.0.1:${env.GATEWAY_PORT}/graphql`;
    expect(output).toContain(`Atrium is ready: ${gatewayUrl}`);
    const stats = await (await fetch(`http://127.0.0.1:${env.HAPROXY_STATS_PORT}/stats;csv`)).text();
    const up = stats.split('\n').filter((line) => /^gateway,gateway(-2)?,/.test(line) && line.includes(',UP,'));
    expect(up).toHaveLength(2);

    const token = await requestDevelopmentToken(`http://127.0.0.1:${env.IDP_PORT}/token`, { sub: 'replicated-check', role: 'service', scopes: READ_SCOPES });
    const profile = () =>
      fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: PROFILE_QUERY, variables: { id: 'cust-3' } }),
      }).then(
        async (response) => ({ status: response.status, errors: ((await response.json()) as { errors?: unknown[] }).errors }),
        () => ({ status: 0, errors: undefined }),
      );
    expect(await profile()).toEqual({ status: 200, errors: undefined });

    // One gateway replica is told to stop while a client keeps asking through the balancer.
    const replicaPids = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(launcher.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('dist/gateway/index.js'))
      .map((line) => Number(line.trim().split(' ')[0]));
    expect(replicaPids).toHaveLength(2);
    const answers: Promise<{ status: number; errors: unknown }>[] = [];
    let asking = true;
    const asker = (async () => {
      while (asking) {
        answers.push(profile());
        await sleep(50);
      }
    })();
    await sleep(500);
    process.kill(replicaPids[1] as number, 'SIGTERM');
    // While it waits for the balancer to notice (SHUTDOWN_DELAY_MS), it says it is not ready but still serves.
    await sleep(300);
    const replica = `http://127.0.0.1:${replicaBase + 1}`;
    expect((await fetch(`${replica}/ready`)).status).toBe(503);
    expect((await fetch(`${replica}/health`)).status).toBe(200);
    await sleep(4_000);
    asking = false;
    await asker;
    const outcomes = await Promise.all(answers);
    expect(outcomes.length).toBeGreaterThan(50);
    expect(outcomes.filter((outcome) => outcome.status !== 200 || outcome.errors !== undefined)).toEqual([]);

    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(launcher.pid)], { encoding: 'utf8' })
      .split('\n')
      .map(Number)
      .filter(Boolean);
    launcher.kill('SIGINT');
    expect(await exited).toBe(0);
    const alive = children.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});
