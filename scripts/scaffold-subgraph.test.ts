import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSubgraphList } from '../schema/registry';
import { copyRepository, type RepositoryCopy } from '../test/support/repository-copy';
import { UsageError } from './cli';
import { newSubgraphCommand } from './new-subgraph-command';
import { scaffoldSubgraph } from './scaffold-subgraph';

/** Every file of the tree (node_modules aside) with its content: what must not change when a request is refused. */
function snapshot(root: string, folder = ''): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (path === 'node_modules') continue;
    if (entry.isDirectory()) for (const [file, text] of snapshot(root, path)) files.set(file, text);
    else files.set(path, readFileSync(join(root, path), 'utf8'));
  }
  return files;
}

describe('subgraph:new', () => {
  let copy: RepositoryCopy;
  beforeEach(() => {
    copy = copyRepository();
  });
  afterEach(() => copy.remove());

  it('scaffolds a REST subgraph with its backend, registers it on a free port and composes it into the supergraph', async () => {
    const result = await scaffoldSubgraph(copy.root, 'loyalty', 'rest');
    expect(result).toMatchObject({ port: 4005, backendPort: 4106, metricsPort: 9405 });
    for (const file of [
      'schema.graphql',
      'resolvers.ts',
      'permissions.ts',
      'loyalty-client.ts',
      'subgraph.ts',
      'README.md',
      'loyalty.test.ts',
      'loyalty-client.test.ts',
    ])
      expect(result.files).toContain(join('subgraphs', 'loyalty', file));
    expect(result.files).toContain(join('subgraphs', 'loyalty', 'generated', 'resolvers-types.ts'));
    expect(result.files).toContain(join('legacy', 'loyalty-backend', 'server.ts'));
    expect(readSubgraphList(join(copy.root, 'schema', 'subgraphs.json')).at(-1)).toEqual({
      name: 'loyalty',
      routingUrl: 'http://127.0.0.1:4005/graphql',
      metricsPort: 9405,
      backend: { name: 'loyalty-backend', url: 'http://127.0.0.1:4106' },
    });
    const supergraph = readFileSync(join(copy.root, 'schema', 'supergraph.graphql'), 'utf8');
    expect(supergraph).toMatch(/LOYALTY @join__graph\(name: "loyalty", url: "http:\/\/127\.0\.0\.1:4005\/graphql"\)/);
    expect(supergraph).toMatch(/type LoyaltyEntry/);
    expect(supergraph).toMatch(/loyaltyEntries: \[LoyaltyEntry!\]! @join__field\(graph: LOYALTY\)/);
  });

  it('gives a SOAP backend a WSDL and its URL a path', async () => {
    const result = await scaffoldSubgraph(copy.root, 'gift-cards', 'soap');
    expect(result.files).toContain(join('legacy', 'gift-cards-backend', 'gift-cards-backend.wsdl'));
    expect(readSubgraphList(join(copy.root, 'schema', 'subgraphs.json')).at(-1)?.backend.url).toBe('http://127.0.0.1:4106/gift-cards');
    expect(readFileSync(join(copy.root, 'subgraphs', 'gift-cards', 'subgraph.ts'), 'utf8')).toContain("kind: 'soap'");
    expect(readFileSync(join(copy.root, 'schema', 'supergraph.graphql'), 'utf8')).toMatch(/giftCardsEntries: \[GiftCardsEntry!\]!/);
  });

  it.each([
    ['an existing subgraph', ['orders', '--backend', 'rest'], /a subgraph named orders exists already/],
    ['a name that is not an identifier', ['Loyalty!', '--backend', 'rest'], /"Loyalty!" is not a valid subgraph name/],
    ['a name with underscores', ['gift_cards', '--backend', 'rest'], /not a valid subgraph name: use lowercase words joined by hyphens/],
    ['a reserved name', ['kit', '--backend', 'rest'], /"kit" is reserved/],
    ["a name whose variables are a backend's", ['crm', '--backend', 'rest'], /would share environment variables \(CRM_PORT…\)/],
    ['an unknown backend kind', ['loyalty', '--backend', 'grpc'], /--backend must be rest or soap, not "grpc"/],
    ['no backend kind', ['loyalty'], /--backend is required/],
    ['no name', ['--backend', 'rest'], /name the subgraph/],
  ])('refuses %s with exit code 2 and a clear message, and leaves the tree untouched', async (_case, args, message) => {
    const before = snapshot(copy.root);
    const result = await newSubgraphCommand(args, copy.root);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('usage: npm run subgraph:new');
    expect(snapshot(copy.root)).toEqual(before);
  });

  it('refuses a name whose type another subgraph already has', async () => {
    const orders = join(copy.root, 'subgraphs', 'orders', 'schema.graphql');
    writeFileSync(orders, `${readFileSync(orders, 'utf8')}\ntype LoyaltyEntry {\n  id: ID!\n}\n`);
    const before = snapshot(copy.root);
    await expect(scaffoldSubgraph(copy.root, 'loyalty', 'rest')).rejects.toThrow(
      new UsageError('type LoyaltyEntry exists already in the orders subgraph; choose another name'),
    );
    expect(snapshot(copy.root)).toEqual(before);
  });

  it('refuses a name whose folder exists, even unregistered', async () => {
    mkdirSync(join(copy.root, 'legacy', 'loyalty-backend'));
    writeFileSync(join(copy.root, 'legacy', 'loyalty-backend', 'notes.txt'), 'kept');
    const before = snapshot(copy.root);
    await expect(scaffoldSubgraph(copy.root, 'loyalty', 'rest')).rejects.toThrow(/legacy\/loyalty-backend exists already/);
    expect(snapshot(copy.root)).toEqual(before);
  });

  it('undoes what it moved when writing fails half-way', async () => {
    // The backend folder cannot be moved in: legacy/ is gone.
    rmSync(join(copy.root, 'legacy'), { recursive: true });
    const before = snapshot(copy.root);
    await expect(scaffoldSubgraph(copy.root, 'loyalty', 'rest')).rejects.toThrow(/ENOENT/);
    expect(snapshot(copy.root)).toEqual(before);
  });
});
