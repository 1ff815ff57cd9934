import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { repoRoot } from '../../platform/paths';
import { startStack, type Stack } from '../support/stack';

describe('mutual TLS between gateway and subgraphs', () => {
  const certs = mkdtempSync(join(tmpdir(), 'atrium-certs-'));
  let stack: Stack;
  beforeAll(async () => {
    execFileSync('bash', [join(repoRoot, 'scripts', 'dev-certs.sh'), certs], { stdio: 'ignore' });
    stack = await startStack({ mtlsCertDir: certs });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(certs, { recursive: true, force: true });
  });

  it('serves the profile with every subgraph behind HTTPS that demands the gateway certificate', async () => {
    expect(stack.subgraphUrls.customers).toMatch(/^https:/);
    const result = await stack.query('{ customer(id: "cust-1") { id orders(first: 1) { id } preferences { language } supportTickets { id } } }');
    expect(result.errors).toBeUndefined();
    expect(result.data?.customer).toMatchObject({ id: 'cust-1', preferences: { language: expect.any(String) } });
  });

  it('refuses a client without a certificate at the TLS handshake', async () => {
    const trustingCa = new Agent({ connect: { ca: readFileSync(join(certs, 'ca.crt')) } });
    try {
      await expect(undiciFetch(stack.subgraphUrls.customers as string, { method: 'POST', dispatcher: trustingCa, body: '{}' })).rejects.toThrow();
    } finally {
      await trustingCa.close();
    }
  });

  it('serves the gateway itself over TLS when TLS_CERT and TLS_KEY are set', async () => {
    const gateway = await stack.startGateway({ TLS_CERT: join(certs, 'gateway.crt'), TLS_KEY: join(certs, 'gateway.key') });
    const trustingCa = new Agent({ connect: { ca: readFileSync(join(certs, 'ca.crt')) } });
    try {
      expect(gateway.url).toMatch(/^https:/);
      const response = await undiciFetch(gateway.url.replace('/graphql', '/health'), { dispatcher: trustingCa });
      expect(await response.json()).toEqual({ status: 'ok' });
    } finally {
      await trustingCa.close();
    }
  });
});
