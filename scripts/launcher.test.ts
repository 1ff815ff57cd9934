import { freePort } from '../platform/http';
import { launch, type ServiceSpec } from './launcher';

/** A child that prints a line, serves 200 on PORT, and exits cleanly on SIGTERM. */
const HEALTHY = `
  const server = require('node:http').createServer((req, res) => res.end('ok'));
  server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
  process.on('SIGTERM', () => { console.log('bye'); server.close(() => process.exit(0)); });
`;

const node = (name: string, script: string, port: number): ServiceSpec => ({
  name,
  command: process.execPath,
  args: ['-e', script],
  env: { ...process.env, PORT: String(port) },
  readyUrl: `http://127.0.0.1:${port}/`,
});

describe('launcher', () => {
  const output: string[] = [];
  const options = { write: (line: string) => void output.push(line), readyTimeoutMs: 10_000, color: false, stopGraceMs: 5_000 };
  beforeEach(() => (output.length = 0));

  it('starts every group at once, prefixes every line with the service name, stops them in reverse order and exits 0', async () => {
    const stack = launch([[node('first', HEALTHY, await freePort())], [node('second', HEALTHY, await freePort())]], options);
    await stack.ready;
    await stack.stop();
    expect(await stack.exited).toBe(0);
    expect(output).toEqual(expect.arrayContaining(['first  │ listening', 'second │ listening', 'first  │ bye', 'second │ bye']));
    // The second group (a gateway, say) has exited before the first (its backends) is even signalled.
    expect(output.indexOf('second │ bye')).toBeLessThan(output.indexOf('first  │ bye'));
  });

  it('exits 1 when a service does not stop cleanly', async () => {
    const unclean = HEALTHY.replace('process.exit(0)', 'process.exit(1)');
    const stack = launch([[node('steady', HEALTHY, await freePort())], [node('sloppy', unclean, await freePort())]], options);
    await stack.ready;
    await stack.stop();
    expect(await stack.exited).toBe(1);
  });

  it('kills what is still running when asked not to wait', async () => {
    const deaf = HEALTHY.replace(
      "process.on('SIGTERM', () => { console.log('bye'); server.close(() => process.exit(0)); });",
      "process.on('SIGTERM', () => console.log('not now'));",
    );
    const stack = launch([[node('deaf', deaf, await freePort())]], options);
    await stack.ready;
    const stopped = stack.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    stack.kill();
    await stopped;
    expect(await stack.exited).toBe(1);
  });

  it('says which service died, stops the others and exits 1', async () => {
    const steadyPort = await freePort();
    // Every service starts at once: this one dies once the other is up, as a service failing on first use would.
    const fragile = `const probe = () => require('node:net').connect(${steadyPort}, '127.0.0.1').on('connect', () => process.exit(3)).on('error', () => setTimeout(probe, 20)); probe();`;
    const stack = launch([[node('steady', HEALTHY, steadyPort)], [node('fragile', fragile, await freePort())]], options);
    expect(await stack.exited).toBe(1);
    expect(output).toContain('✖ fragile exited with code 3; stopping the other services');
    expect(output).toContain('steady  │ bye');
  });

  it('gives up on a service that never becomes ready, naming it', async () => {
    const port = await freePort();
    const stack = launch([[node('silent', 'setInterval(() => {}, 1000)', port)]], { ...options, readyTimeoutMs: 500 });
    expect(await stack.exited).toBe(1);
    expect(output).toContain(`✖ silent was not ready at http://127.0.0.1:${port}/ within 0.5 s; stopping the other services`);
  });
});
