import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestDevelopmentToken } from '../../platform/development-token';
import { freePort } from '../../platform/http';
import { repoRoot } from '../../platform/paths';
import { readSubgraphList, standInsOf } from '../../schema/registry';
import { stackMetricsVariables, stackPortVariables } from '../../scripts/stack-ports';
import { embeddedClusterDir } from '../../subgraphs/orders/payments/settings';
import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';
import { PROFILE_QUERY } from '../../scripts/chaos/clients';
import { drainedCleanly, signalUnderLoad } from '../../scripts/chaos/shutdown';

/** The backend given a short grace period, to see what happens past it. */
const IMPATIENT = 'preference-service';
const IMPATIENT_GRACE_MS = 1_000;

jest.setTimeout(180_000);

describe('shutdown under load, in real processes', () => {
  let stack: ProcessStack;
  beforeAll(async () => {
    stack = await startProcessStack({ serviceEnv: { [IMPATIENT]: { SHUTDOWN_GRACE_MS: String(IMPATIENT_GRACE_MS) } } });
  });
  afterAll(() => stack?.stop());

  it.each([
    ['gateway', 'SIGTERM'],
    ['orders', 'SIGTERM'],
    ['erp', 'SIGINT'],
  ] as const)('%s on %s: answers all 20 in flight, withdraws readiness, refuses new connections, exits 0', async (service, signal) => {
    const report = await signalUnderLoad(stack, service, signal);
    expect(report).toMatchObject({
      withOrders: 20,
      serverErrors: 0,
      dropped: 0,
      readyDuringDrain: { status: 503, reason: 'shutting down', connectionClose: true },
      refusedDuringDrain: true,
      exit: { code: 0, signal: null },
    });
    expect(drainedCleanly(report)).toBe(true);
    expect(stack.logs().filter((line) => line.service === service && (line.level ?? 0) >= 50)).toEqual([]);
  });

  it('past SHUTDOWN_GRACE_MS, closes the connections still open and exits 1 with an error line', async () => {
    const backend = stack.services[IMPATIENT]!;
    await stack.setFaults(IMPATIENT, { latencyMs: 5_000 });
    const stuck = fetch(`${backend.base}/preferences/cust-1`).then(
      (response) => `answered ${response.status}`,
      () => 'dropped',
    );
    while ((await stack.inFlight(IMPATIENT)) < 1) await sleep(50);
    stack.clearLogs();
    const exited = backend.exited();
    const signalled = Date.now();
    backend.signal('SIGTERM');
    expect(await exited).toEqual({ code: 1, signal: null });
    expect(Date.now() - signalled).toBeLessThan(IMPATIENT_GRACE_MS + 2_000);
    expect(await stuck).toBe('dropped');
    expect(
      stack
        .logs()
        .filter((line) => line.service === IMPATIENT && line.level === 50)
        .map((line) => line.msg),
    ).toEqual(['shutdown grace period exceeded; closing the remaining connections']);
    await backend.restart();
  });
});

describe('npm start (the launcher), in real processes', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'atrium-launcher-'));
  let launcher: ChildProcess;
  let output = '';
  const ports: Record<string, string> = {};
  afterAll(() => {
    if (launcher?.exitCode === null) launcher.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
    rmSync(embeddedClusterDir(scratch), { recursive: true, force: true });
  });

  it('one SIGTERM: every request in flight answered, the gateway stopped before the backends, exit 0, no child left', async () => {
    const registry = readSubgraphList();
    const portVariables = [...stackPortVariables(registry), ...stackMetricsVariables(registry)];
    for (const variable of portVariables) ports[variable] = String(await freePort());
    launcher = spawn(process.execPath, [join(repoRoot, 'dist', 'scripts', 'start.js')], {
      env: { PATH: process.env.PATH, HOST: '127.0.0.1', LOG_LEVEL: 'info', ATRIUM_DATA_DIR: scratch, API_KEYS_FILE: join(scratch, 'api-keys.json'), ...ports },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));
    for (let waited = 0; !output.includes('Atrium is ready'); waited += 100) {
      if (waited > 90_000 || launcher.exitCode !== null) throw new Error(`the stack did not start:\n${output.slice(-3_000)}`);
      await sleep(100);
    }
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(launcher.pid)], { encoding: 'utf8' })
      .split('\n')
      .map(Number)
      .filter(Boolean);
    // The issuer, the embedded database, every stand-in, every subgraph, the events service and the gateway.
    expect(children).toHaveLength(4 + registry.flatMap(standInsOf).length + registry.length);

    const gatewayUrl = `http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`;
    const erp = `http://127.0.0.1:${ports.ERP_PORT}`;
    const tokenUrl = `http://127.0.0.1:${ports.IDP_PORT}/token`;
    const scopes = 'customers:read pii:read orders:read preferences:read tickets:read';
    const customers = Array.from({ length: 20 }, (_, i) => `cust-${i + 1}`);
    const tokens = await Promise.all(customers.map((sub) => requestDevelopmentToken(tokenUrl, { sub, role: 'customer', scopes })));
    const profile = (id: string, token: string) =>
      fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: PROFILE_QUERY, variables: { id } }),
      }).then(
        async (response) => ({ status: response.status, body: (await response.json()) as { data?: { customer?: { orders?: unknown[] } } } }),
        () => ({ status: 0, body: {} as { data?: { customer?: { orders?: unknown[] } } } }),
      );
    // The orders subgraph fetches the ERP's WSDL on first use: done before the ERP is slowed down.
    expect((await profile('cust-1', tokens[0] as string)).body.data?.customer?.orders).toBeDefined();
    const faults = await fetch(`${erp}/_admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"latencyMs":3000}' });
    expect(faults.status).toBe(200);

    const answers = customers.map((id, i) => profile(id, tokens[i] as string));
    const inFlight = async () => ((await (await fetch(`${erp}/_admin/in-flight`)).json()) as { inFlight: number }).inFlight;
    for (let waited = 0; (await inFlight()) < 20 && waited < 3_000; waited += 50) await sleep(50);
    launcher.kill('SIGTERM');

    const outcomes = await Promise.all(answers);
    expect(outcomes.filter((outcome) => outcome.status === 200 && Array.isArray(outcome.body.data?.customer?.orders))).toHaveLength(20);
    expect(await exited).toBe(0);
    const gone = children.filter((pid) => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    expect(gone).toEqual(children);
    // Reverse start order: the gateway had drained and stopped before any subgraph or backend began to.
    const lines = output.split('\n');
    const gatewayStopped = lines.findIndex((line) => line.startsWith('gateway') && line.includes('"msg":"stopped"'));
    const firstOtherStopping = lines.findIndex((line) => !line.startsWith('gateway') && line.includes('"msg":"shutting down"'));
    expect(gatewayStopped).toBeGreaterThan(-1);
    expect(gatewayStopped).toBeLessThan(firstOtherStopping);
  });
});
