import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { composeSupergraph, SUPERGRAPH_FILE } from '../schema/composition';
import { readSubgraphList } from '../schema/registry';
import type { RunningService } from '../platform/run';
import { captureLogger } from '../test/support/capture-logger';
import { newApiKey, writeKeyFile } from './auth/api-keys';
import { readGatewayConfig } from './config';
import { startGateway } from './server';

const { key, record } = newApiKey('schema-reader', ['customers:read'], { ratePerSecond: 100, burst: 100, dailyQuota: 0 });

/** The names of the gateway's Query fields, read by introspection. */
async function queryFields(url: string): Promise<string[]> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ query: '{ __schema { queryType { fields { name } } } }' }),
  });
  const body = (await response.json()) as { data: { __schema: { queryType: { fields: Array<{ name: string }> } } } };
  return body.data.__schema.queryType.fields.map((f) => f.name).sort();
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe('the gateway serving a supergraph file', () => {
  let dir: string;
  let file: string;
  let gateway: RunningService;
  const logged = captureLogger();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-supergraph-'));
    file = join(dir, 'supergraph.graphql');
    writeFileSync(file, readFileSync(SUPERGRAPH_FILE, 'utf8'));
    writeKeyFile(join(dir, 'api-keys.json'), [record]);
    gateway = await startGateway(readGatewayConfig({ GATEWAY_PORT: '0', SUPERGRAPH_PATH: file, API_KEYS_FILE: join(dir, 'api-keys.json') }), logged.log);
  });
  afterAll(async () => {
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready once the supergraph is loaded', async () => {
    const response = await fetch(gateway.url.replace('/graphql', '/ready'));
    expect(response.status).toBe(200);
    expect(await queryFields(gateway.url)).toEqual(['customer', 'customers', 'order', 'supportTicket']);
  });

  it('takes a new valid supergraph without a restart, and refuses an invalid one while the last good one keeps serving', async () => {
    const customersOnly = composeSupergraph(readSubgraphList().filter((s) => s.name === 'customers'));
    if (!customersOnly.supergraphSdl) throw new Error(customersOnly.errors?.join('\n'));
    writeFileSync(file, customersOnly.supergraphSdl);
    await eventually(async () => (await queryFields(gateway.url)).join() === 'customer,customers');

    writeFileSync(file, 'this is not a supergraph');
    await eventually(async () => logged.lines.some((line) => line.msg === 'new supergraph refused; keeping the current one'));
    expect(await queryFields(gateway.url)).toEqual(['customer', 'customers']);
  });
});
