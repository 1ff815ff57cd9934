import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../platform/paths';

const run = promisify(execFile);

/** What the built kit entry prints and exits with, started as a real process in production mode. */
async function start(script: string, name: string, env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  try {
    await run(process.execPath, [join(repoRoot, 'dist', script), name], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', LOG_LEVEL: 'silent', ...env },
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code: number | null; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

describe('the kit entries (npm run build first)', () => {
  it('refuse a subgraph the registry does not list, with exit code 2 and the names it does', async () => {
    const { code, stderr } = await start('subgraphs/kit/main.js', 'loyalty');
    expect(code).toBe(2);
    expect(stderr).toMatch(/no subgraph "loyalty" in schema\/subgraphs\.json \(customers, orders, preferences, support-tickets\)/);
  });

  it('refuse a backend the registry does not list, with exit code 2', async () => {
    const { code, stderr } = await start('legacy/kit/main.js', 'mainframe');
    expect(code).toBe(2);
    expect(stderr).toMatch(/no backend "mainframe" in schema\/subgraphs\.json \(crm, erp, payments, preference-service, helpdesk\)/);
  });

  it("name the variable of a subgraph's bad setting, with exit code 2", async () => {
    const { code, stderr } = await start('subgraphs/kit/main.js', 'orders', { ERP_URL: 'ftp://erp', BREAKER_FAILURE_RATIO: '1' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/ERP_URL: must be an absolute http/);
    expect(stderr).toMatch(/BREAKER_FAILURE_RATIO: must be a ratio above 0 and below 1/);
  });
});
