import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { repoRoot } from '../platform/paths';
import { composeSupergraph, readSubgraphList, SUPERGRAPH_FILE } from './composition';

describe('composition', () => {
  it('gives exactly the committed schema/supergraph.graphql (run `npm run compose` after changing a subgraph schema)', () => {
    const result = composeSupergraph();
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toBe(readFileSync(SUPERGRAPH_FILE, 'utf8'));
  });

  it('lists the four subgraphs', () => {
    expect(readSubgraphList().map((s) => s.name)).toEqual(['customers', 'orders', 'preferences', 'support-tickets']);
  });

  it('names the subgraph, type and field when subgraphs disagree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-compose-'));
    try {
      const broken = join(dir, 'schema.graphql');
      writeFileSync(
        broken,
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n' + 'type Customer @key(fields: "id") { id: ID! name: Int }\n',
      );
      const entries = [...readSubgraphList(), { name: 'loyalty', routingUrl: 'http://127.0.0.1:4999/graphql', schema: relative(repoRoot, broken) }];
      const result = composeSupergraph(entries);
      expect(result.supergraphSdl).toBeUndefined();
      expect(result.errors?.join('\n')).toMatch(/Customer\.name/);
      expect(result.errors?.join('\n')).toMatch(/"loyalty"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the subgraph whose schema file does not parse', () => {
    const result = composeSupergraph([{ name: 'customers', routingUrl: 'http://127.0.0.1:4001/graphql', schema: 'package.json' }]);
    expect(result.errors?.[0]).toMatch(/^\[customers\] package\.json: Syntax Error/);
  });
});
