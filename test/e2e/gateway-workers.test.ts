import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../platform/http';
import { repoRoot } from '../../platform/paths';
import { startStack, type Stack } from '../support/stack';

/** The worker processes of a cluster primary. */
const workersOf = (pid: number) =>
  execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

interface Cluster {
  primary: ChildProcess;
  url: string;
  metricsUrl: string;
  stop(): Promise<void>;
}

/** The compiled gateway with GATEWAY_WORKERS=2, as a process of its own. */
async function startCluster(env: Record<string, string>): Promise<Cluster> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}/graphql`;
  const primary = spawn(process.execPath, [join(repoRoot, 'dist', 'gateway', 'index.js')], {
    env: { ...process.env, ...env, GATEWAY_WORKERS: '2', GATEWAY_PORT: String(port), GATEWAY_METRICS_PORT: String(metricsPort), LOG_LEVEL: 'error' },
    stdio: 'ignore',
  });
  for (
    let i = 0;
    i < 200 &&
    !(await fetch(url.replace('/graphql', '/ready')).then(
      (r) => r.ok,
      () => false,
    ));
    i += 1
  )
    await sleep(100);
  return {
    primary,
    url,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    async stop() {
      if (primary.exitCode !== null) return;
      const exited = new Promise((resolve) => primary.once('exit', resolve));
      primary.kill('SIGTERM');
      await exited;
    },
  };
}

describe('GATEWAY_WORKERS', () => {
  let stack: Stack;
  let cluster: Cluster;
  beforeAll(async () => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot });
    stack = await startStack();
    cluster = await startCluster(stack.gatewayEnv);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    await stack?.stop();
  });

  const profiles = async (count: number) => {
    const token = await stack.token({ role: 'service', scopes: 'customers:read orders:read' });
    return Promise.all(
      Array.from({ length: count }, (_, i) =>
        fetch(cluster.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: 'query Workers($id: ID!) { customer(id: $id) { id orders(first: 1) { id } } }', variables: { id: `cust-${i + 1}` } }),
        }).then(async (response) => ({ status: response.status, body: (await response.json()) as { errors?: unknown } })),
      ),
    );
  };

  it('serves from two workers sharing the port, with their metrics summed', async () => {
    expect(workersOf(cluster.primary.pid as number)).toHaveLength(2);
    const answers = await profiles(40);
    expect(answers.filter((answer) => answer.status !== 200 || answer.body.errors !== undefined)).toEqual([]);
    const metrics = await (await fetch(cluster.metricsUrl)).text();
    expect(Number(/atrium_gateway_operations_total\{operation="Workers",outcome="ok"\} (\d+)/.exec(metrics)?.[1])).toBe(40);
  });

  it('replaces a worker that dies', async () => {
    const [victim] = workersOf(cluster.primary.pid as number);
    process.kill(Number(victim), 'SIGKILL');
    for (let i = 0; i < 100; i += 1) {
      const workers = workersOf(cluster.primary.pid as number);
      if (workers.length === 2 && !workers.includes(victim as string)) break;
      await sleep(100);
    }
    expect(workersOf(cluster.primary.pid as number)).not.toContain(victim);
    expect(workersOf(cluster.primary.pid as number)).toHaveLength(2);
    await sleep(1_500);
    expect((await profiles(10)).map((answer) => answer.status)).toEqual(Array(10).fill(200));
  });

  it('gives every worker one signing key when none is configured', async () => {
    const { GATEWAY_SIGNING_KEY_FILE: _configured, ...env } = stack.gatewayEnv;
    const keyless = await startCluster(env);
    try {
      const kids = new Set<string>();
      for (let i = 0; i < 12; i += 1) {
        const jwks = (await (await fetch(keyless.url.replace('/graphql', '/.well-known/jwks.json'))).json()) as { keys: Array<{ kid: string }> };
        for (const key of jwks.keys) kids.add(key.kid);
      }
      expect(kids.size).toBe(1);
    } finally {
      await keyless.stop();
    }
  });
});
