import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requestDevelopmentToken } from '../../platform/development-token';
import { freePort } from '../../platform/http';
import { readSubgraphList } from '../../schema/registry';
import { stackMetricsVariables, stackPortVariables } from '../../scripts/stack-ports';
import { embeddedClusterDir } from '../../subgraphs/orders/payments/settings';
import { copyRepository, type RepositoryCopy } from '../support/repository-copy';

const run = promisify(execFile);

/** Run inside the copy: the in-process stack (test/support/stack.ts) serves the scaffolded subgraph's fields too. */
const IN_PROCESS_STACK_TEST = `
import { startStack, type Stack } from '../support/stack';

describe('the in-process stack', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  it('serves the scaffolded loyalty subgraph over its stand-in', async () => {
    await stack.resetCalls();
    const result = await stack.query('{ customer(id: "cust-1") { name loyaltyPoints loyaltyEntries { amount } } }');
    expect(result.errors).toBeUndefined();
    const customer = result.data?.customer as { loyaltyPoints: number; loyaltyEntries: Array<{ amount: number }> };
    expect(customer.loyaltyEntries.length).toBeGreaterThan(0);
    expect(customer.loyaltyPoints).toBe(customer.loyaltyEntries.reduce((sum, entry) => sum + entry.amount, 0));
    expect((await stack.calls())['loyalty-backend']?.total).toBe(1);
  });
});
`;

/** Replaces `find` in a file of the copy, failing loudly when the scaffold no longer has it. */
function edit(copy: RepositoryCopy, file: string, find: string, replace: string): void {
  const path = join(copy.root, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(find)) throw new Error(`${file} no longer contains ${JSON.stringify(find)}`);
  writeFileSync(path, text.replace(find, replace));
}

/** The README's "Add a subgraph" walkthrough, from a clean copy of the repository to a query through the gateway. */
describe('adding a subgraph', () => {
  let copy: RepositoryCopy;
  let stack: ChildProcess | undefined;
  beforeAll(() => {
    copy = copyRepository();
  });
  afterAll(async () => {
    if (stack?.pid && stack.exitCode === null) {
      const exited = new Promise((resolve) => stack?.once('exit', resolve));
      process.kill(-stack.pid, 'SIGTERM');
      await exited;
    }
    rmSync(embeddedClusterDir(join(copy.root, '.atrium')), { recursive: true, force: true });
    copy.remove();
  });
  const npm = (...args: string[]) => run('npm', ['run', '--silent', ...args], { cwd: copy.root });

  it('scaffolds loyalty, extends Customer with loyaltyPoints, composes, and serves it in the in-process stack and through npm start', async () => {
    const scaffolded = await npm('subgraph:new', '--', 'loyalty', '--backend', 'rest');
    expect(scaffolded.stdout).toContain('created subgraphs/loyalty');

    // The scaffold's own tests pass as generated.
    await run(process.execPath, [join(copy.root, 'node_modules', 'jest', 'bin', 'jest.js'), 'subgraphs/loyalty', 'legacy/loyalty-backend'], { cwd: copy.root });

    // Customer.loyaltyPoints: schema, resolver and access rule, backed by the scaffolded backend's entries.
    edit(
      copy,
      'subgraphs/loyalty/schema.graphql',
      '  loyaltyEntries: [LoyaltyEntry!]! @listSize(assumedSize: 20)\n}',
      '  loyaltyEntries: [LoyaltyEntry!]! @listSize(assumedSize: 20)\n  """\n  Loyalty points: the sum of the customer\'s entries.\n  """\n  loyaltyPoints: Int!\n}',
    );
    edit(
      copy,
      'subgraphs/loyalty/resolvers.ts',
      '  Customer: {\n',
      '  Customer: {\n    loyaltyPoints: async ({ id }, _, { loyalty }) => (await loyalty.entriesOf(id)).reduce((sum, entry) => sum + entry.amount, 0),\n',
    );
    edit(
      copy,
      'subgraphs/loyalty/permissions.ts',
      '    id: allow,\n',
      "    id: allow,\n    loyaltyPoints: and(\n      canUse('customers:read'),\n      actsFor((customer: { id: string }) => customer.id),\n    ),\n",
    );
    await npm('codegen');
    expect((await npm('compose')).stdout).toContain('wrote schema/supergraph.graphql');

    // In the in-process end-to-end stack of the copy, with nothing but the scaffold and the edits above.
    writeFileSync(join(copy.root, 'test', 'e2e', 'loyalty-in-stack.test.ts'), IN_PROCESS_STACK_TEST);
    await run(process.execPath, [join(copy.root, 'node_modules', 'jest', 'bin', 'jest.js'), 'test/e2e/loyalty-in-stack.test.ts'], { cwd: copy.root });

    // And by `npm start`, every service on a free port named by the copy's registry.
    const registry = readSubgraphList(join(copy.root, 'schema', 'subgraphs.json'));
    const ports = Object.fromEntries(await Promise.all(stackPortVariables(registry).map(async (variable) => [variable, String(await freePort())] as const)));
    const metrics = Object.fromEntries(stackMetricsVariables(registry).map((variable) => [variable, '0']));
    const started = spawn('npm', ['start'], { cwd: copy.root, env: { ...process.env, ...ports, ...metrics, LOG_LEVEL: 'warn' }, detached: true });
    stack = started;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      started.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Atrium is ready')) resolve();
      });
      started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      started.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output.slice(-3000)}`)));
    });

    const token = await requestDevelopmentToken(`http://127.0.0.1:${ports.IDP_PORT}/token`, { sub: 'cust-1', role: 'customer', scopes: 'customers:read' });
    const response = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ customer(id: "cust-1") { name loyaltyPoints loyaltyEntries { amount } } }' }),
    });
    const body = (await response.json()) as {
      data?: { customer: { name: string; loyaltyPoints: number; loyaltyEntries: Array<{ amount: number }> } };
      errors?: unknown;
    };
    expect(body.errors).toBeUndefined();
    const customer = body.data?.customer;
    expect(customer?.name).toEqual(expect.any(String));
    expect(customer?.loyaltyEntries.length).toBeGreaterThan(0);
    expect(customer?.loyaltyPoints).toBe(customer?.loyaltyEntries.reduce((sum, entry) => sum + entry.amount, 0));
  }, 240_000);
});
