import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestDevelopmentToken } from '../../platform/development-token';
import { freePort } from '../../platform/http';
import { readSubgraphList } from '../../schema/registry';
import { stackMetricsVariables, stackPortVariables } from '../../scripts/stack-ports';
import { embeddedClusterDir } from '../../subgraphs/orders/payments/settings';
import { PROFILE_QUERY } from '../../scripts/chaos/clients';
import { copyRepository, type RepositoryCopy } from '../support/repository-copy';

jest.setTimeout(300_000);

const SCOPES = 'customers:read pii:read orders:read preferences:read tickets:read';

/**
 * `npm start` in a clean copy of the repository, twice: the first builds, the second finds the tree built and does
 * not compile again. Each start counts until the Profile query is answered whole; the seconds are printed (they
 * depend on the machine, so nothing is asserted about them).
 */
describe('npm start, from a fresh clone and on a built tree', () => {
  let copy: RepositoryCopy;
  const scratch = mkdtempSync(join(tmpdir(), 'atrium-start-'));
  let running: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    copy = copyRepository();
    const registry = readSubgraphList();
    const portVariables = stackPortVariables(registry);
    const metricsVariables = stackMetricsVariables(registry);
    env = {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ATRIUM_DATA_DIR: scratch,
      API_KEYS_FILE: join(scratch, 'api-keys.json'),
      ...Object.fromEntries(await Promise.all(portVariables.map(async (variable) => [variable, String(await freePort())]))),
      ...Object.fromEntries(metricsVariables.map((variable) => [variable, '0'])),
    };
  });
  afterAll(async () => {
    await stop();
    copy.remove();
    rmSync(scratch, { recursive: true, force: true });
    rmSync(embeddedClusterDir(scratch), { recursive: true, force: true });
  });

  const stop = async () => {
    const child = running;
    running = undefined;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  };

  /** Seconds from `npm start` to the first whole answer to the Profile query. */
  const startAndAsk = async (): Promise<number> => {
    const started = performance.now();
    let output = '';
    const child = spawn('npm', ['start'], { cwd: copy.root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running = child;
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output.slice(-3_000)}`);
      if (performance.now() - started > 240_000) throw new Error(`no Profile answer within 240 s:\n${output.slice(-3_000)}`);
      try {
        const token = await requestDevelopmentToken(`http://127.0.0.1:${env.IDP_PORT}/token`, { sub: 'cust-1', role: 'customer', scopes: SCOPES });
        const response = await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: PROFILE_QUERY, variables: { id: 'cust-1' } }),
        });
        const body = (await response.json()) as { data?: { customer?: { name?: string; orders?: unknown[] } }; errors?: unknown };
        if (response.ok && body.errors === undefined && body.data?.customer?.orders) return (performance.now() - started) / 1000;
      } catch {
        // Not up yet.
      }
      await sleep(50);
    }
  };

  it('builds once, then starts without compiling, and answers the Profile query each time', async () => {
    const fresh = await startAndAsk();
    await stop();
    const buildInfo = join(copy.root, 'dist', '.tsbuildinfo');
    const builtAt = statSync(buildInfo).mtimeMs;
    const built = await startAndAsk();
    expect(statSync(buildInfo).mtimeMs).toBe(builtAt);
    process.stdout.write(`npm start to the first Profile answer: fresh clone ${fresh.toFixed(1)} s, built tree ${built.toFixed(1)} s\n`);
  });
});
